#include "nn/rulebook.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace lidardet::nn {

namespace {

struct Sites {
  std::vector<std::array<int64_t, 4>> c;  // b, z, y, x
};

Sites read_coords(const Tensor& coords, const Grid3& grid) {
  expect_dtype("rulebook", "coords", coords, DType::I32);
  expect_rank("rulebook", "coords", coords, 2);
  if (coords.dim(1) != 4 || !coords.contiguous() || coords.device() != Device::Host)
    throw Error("nn::rulebook: coords must be a contiguous host [N, 4] (b, z, y, x) tensor, got " +
                shape_string(coords.shape()));
  Sites s;
  const int32_t* p = coords.i32();
  s.c.resize(coords.dim(0));
  for (int64_t i = 0; i < coords.dim(0); ++i) {
    for (int a = 0; a < 4; ++a) s.c[i][a] = p[4 * i + a];
    if (s.c[i][0] < 0 || s.c[i][1] < 0 || s.c[i][1] >= grid[0] || s.c[i][2] < 0 ||
        s.c[i][2] >= grid[1] || s.c[i][3] < 0 || s.c[i][3] >= grid[2])
      throw Error("nn::rulebook: coords row " + std::to_string(i) + " (" +
                  std::to_string(p[4 * i]) + ", " + std::to_string(p[4 * i + 1]) + ", " +
                  std::to_string(p[4 * i + 2]) + ", " + std::to_string(p[4 * i + 3]) +
                  ") outside the grid " + shape_string({grid[0], grid[1], grid[2]}));
  }
  return s;
}

int64_t key_of(const std::array<int64_t, 4>& c, const Grid3& g) {
  return ((c[0] * g[0] + c[1]) * g[1] + c[2]) * g[2] + c[3];
}

std::unordered_map<int64_t, int32_t> index_sites(const Sites& s, const Grid3& grid) {
  std::unordered_map<int64_t, int32_t> m;
  m.reserve(s.c.size() * 2);
  for (std::size_t i = 0; i < s.c.size(); ++i)
    if (!m.emplace(key_of(s.c[i], grid), static_cast<int32_t>(i)).second)
      throw Error("nn::rulebook: coords row " + std::to_string(i) + " repeats an earlier site");
  return m;
}

Rulebook finish(Backend& be, std::vector<std::vector<std::pair<int32_t, int32_t>>>& pairs,
                int64_t num_in, int64_t num_out) {
  Rulebook rb;
  rb.kernel_volume = static_cast<int64_t>(pairs.size());
  rb.num_in = num_in;
  rb.num_out = num_out;
  rb.offsets.assign(1, 0);
  std::vector<int32_t> in, out;
  for (auto& pk : pairs) {
    for (auto& [i, o] : pk) {
      in.push_back(i);
      out.push_back(o);
    }
    rb.offsets.push_back(static_cast<int64_t>(in.size()));
  }
  const int64_t P = static_cast<int64_t>(in.size());
  rb.in_index = be.upload_frame(Tensor::from_vector({P}, in));
  rb.out_index = be.upload_frame(Tensor::from_vector({P}, out));
  return rb;
}

void check_kernel(const Grid3& kernel) {
  for (int64_t k : kernel)
    if (k < 1) throw Error("nn::rulebook: kernel sizes must be >= 1");
}

}  // namespace

Rulebook build_subm_rulebook(Backend& be, const Tensor& coords, const Grid3& grid,
                             const Grid3& kernel) {
  check_kernel(kernel);
  for (int64_t k : kernel)
    if (k % 2 == 0) throw Error("nn::build_subm_rulebook: kernel sizes must be odd");
  Sites s = read_coords(coords, grid);
  auto sites = index_sites(s, grid);
  const int64_t K = kernel[0] * kernel[1] * kernel[2];
  std::vector<std::vector<std::pair<int32_t, int32_t>>> pairs(K);
  for (int64_t kz = 0; kz < kernel[0]; ++kz)
    for (int64_t ky = 0; ky < kernel[1]; ++ky)
      for (int64_t kx = 0; kx < kernel[2]; ++kx) {
        const int64_t k = (kz * kernel[1] + ky) * kernel[2] + kx;
        const int64_t dz = kz - kernel[0] / 2, dy = ky - kernel[1] / 2, dx = kx - kernel[2] / 2;
        for (std::size_t o = 0; o < s.c.size(); ++o) {
          std::array<int64_t, 4> p = {s.c[o][0], s.c[o][1] + dz, s.c[o][2] + dy, s.c[o][3] + dx};
          if (p[1] < 0 || p[1] >= grid[0] || p[2] < 0 || p[2] >= grid[1] || p[3] < 0 ||
              p[3] >= grid[2])
            continue;
          auto it = sites.find(key_of(p, grid));
          if (it != sites.end()) pairs[k].emplace_back(it->second, static_cast<int32_t>(o));
        }
      }
  return finish(be, pairs, static_cast<int64_t>(s.c.size()), static_cast<int64_t>(s.c.size()));
}

StridedRulebook build_strided_rulebook(Backend& be, const Tensor& coords, const Grid3& grid,
                                       const Grid3& kernel, const Grid3& stride, const Grid3& pad) {
  check_kernel(kernel);
  Grid3 og;
  for (int a = 0; a < 3; ++a) {
    if (stride[a] < 1 || pad[a] < 0)
      throw Error("nn::build_strided_rulebook: stride must be >= 1 and pad >= 0");
    og[a] = (grid[a] + 2 * pad[a] - kernel[a]) / stride[a] + 1;
    if (og[a] < 1) throw Error("nn::build_strided_rulebook: the kernel is larger than the grid");
  }
  Sites s = read_coords(coords, grid);
  index_sites(s, grid);  // rejects duplicates
  // (input, kernel offset, output site key) triples, output sites numbered in sorted key order.
  struct Hit {
    int64_t out_key;
    int32_t in;
    int32_t k;
  };
  std::vector<Hit> hits;
  for (std::size_t i = 0; i < s.c.size(); ++i)
    for (int64_t kz = 0; kz < kernel[0]; ++kz)
      for (int64_t ky = 0; ky < kernel[1]; ++ky)
        for (int64_t kx = 0; kx < kernel[2]; ++kx) {
          const int64_t kk[3] = {kz, ky, kx};
          std::array<int64_t, 4> o = {s.c[i][0], 0, 0, 0};
          bool ok = true;
          for (int a = 0; a < 3 && ok; ++a) {
            const int64_t num = s.c[i][a + 1] + pad[a] - kk[a];
            if (num < 0 || num % stride[a]) ok = false;
            o[a + 1] = num / stride[a];
            if (o[a + 1] >= og[a]) ok = false;
          }
          if (ok)
            hits.push_back({key_of(o, og), static_cast<int32_t>(i),
                            static_cast<int32_t>((kz * kernel[1] + ky) * kernel[2] + kx)});
        }
  std::vector<int64_t> keys;
  keys.reserve(hits.size());
  for (auto& h : hits) keys.push_back(h.out_key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const int64_t K = kernel[0] * kernel[1] * kernel[2];
  std::vector<std::vector<std::pair<int32_t, int32_t>>> pairs(K);
  for (auto& h : hits) {
    const auto o = std::lower_bound(keys.begin(), keys.end(), h.out_key) - keys.begin();
    pairs[h.k].emplace_back(h.in, static_cast<int32_t>(o));
  }
  StridedRulebook r;
  r.out_grid = og;
  std::vector<int32_t> oc(keys.size() * 4);
  for (std::size_t m = 0; m < keys.size(); ++m) {
    int64_t key = keys[m];
    oc[4 * m + 3] = static_cast<int32_t>(key % og[2]);
    key /= og[2];
    oc[4 * m + 2] = static_cast<int32_t>(key % og[1]);
    key /= og[1];
    oc[4 * m + 1] = static_cast<int32_t>(key % og[0]);
    oc[4 * m] = static_cast<int32_t>(key / og[0]);
  }
  r.out_coords = Tensor::from_vector({static_cast<int64_t>(keys.size()), 4}, oc);
  r.rulebook =
      finish(be, pairs, static_cast<int64_t>(s.c.size()), static_cast<int64_t>(keys.size()));
  return r;
}

}  // namespace lidardet::nn
