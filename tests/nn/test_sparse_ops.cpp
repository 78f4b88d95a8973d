// Sparse CPU ops: gather/scatter, rulebook convolutions against a dense float64 conv3d of the
// same grid, and the sparse-to-dense scatter.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.hpp"
#include "nn/rulebook.hpp"
#include "nn/sparse_conv.hpp"
#include "nn_test_util.hpp"

using lidardet::Error;
using namespace lidardet::nn;
using namespace lidardet::nn::test;

namespace {

// n distinct random sites (b, z, y, x) in a grid, in random order.
Tensor random_sites(int64_t n, int64_t B, const Grid3& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::set<std::array<int32_t, 4>> seen;
  std::vector<int32_t> v;
  while (static_cast<int64_t>(seen.size()) < n) {
    std::array<int32_t, 4> c = {static_cast<int32_t>(rng() % B), static_cast<int32_t>(rng() % g[0]),
                                static_cast<int32_t>(rng() % g[1]),
                                static_cast<int32_t>(rng() % g[2])};
    if (seen.insert(c).second) v.insert(v.end(), c.begin(), c.end());
  }
  return Tensor::from_vector({n, 4}, v);
}

using Site = std::array<int64_t, 4>;

// Dense float64 conv3d (cross-correlation, zero padding) evaluated at the given output sites,
// with the input as a map site -> features. Weight layout (out, kz, ky, kx, in).
std::vector<double> ref_conv3d_at(const std::map<Site, std::vector<double>>& in,
                                  const std::vector<Site>& out_sites, const std::vector<double>& w,
                                  int64_t Ci, int64_t Co, int64_t k, int64_t s, int64_t p) {
  std::vector<double> y(out_sites.size() * Co, 0.0);
  for (std::size_t m = 0; m < out_sites.size(); ++m)
    for (int64_t kz = 0; kz < k; ++kz)
      for (int64_t ky = 0; ky < k; ++ky)
        for (int64_t kx = 0; kx < k; ++kx) {
          const Site& o = out_sites[m];
          Site q = {o[0], o[1] * s - p + kz, o[2] * s - p + ky, o[3] * s - p + kx};
          auto it = in.find(q);
          if (it == in.end()) continue;
          for (int64_t co = 0; co < Co; ++co)
            for (int64_t ci = 0; ci < Ci; ++ci)
              y[m * Co + co] += it->second[ci] * w[(((co * k + kz) * k + ky) * k + kx) * Ci + ci];
        }
  return y;
}

std::map<Site, std::vector<double>> site_map(const Tensor& coords, const Tensor& feats) {
  std::map<Site, std::vector<double>> m;
  const int64_t C = feats.dim(1);
  std::vector<double> f = as_double(feats);
  for (int64_t i = 0; i < coords.dim(0); ++i) {
    const int32_t* c = coords.i32() + 4 * i;
    m[{c[0], c[1], c[2], c[3]}] = std::vector<double>(f.begin() + i * C, f.begin() + (i + 1) * C);
  }
  return m;
}

std::vector<Site> sites_of(const Tensor& coords) {
  std::vector<Site> s;
  for (int64_t i = 0; i < coords.dim(0); ++i) {
    const int32_t* c = coords.i32() + 4 * i;
    s.push_back({c[0], c[1], c[2], c[3]});
  }
  return s;
}

}  // namespace

TEST(NnSparse, GatherAndScatterReductions) {
  CpuBackend be;
  Tensor src = random_tensor({6, 3}, 30);
  Tensor idx = Tensor::from_vector({6}, std::vector<int32_t>{2, 0, 2, 2, 0, 3});
  std::vector<double> s = as_double(src);
  for (Reduce op : {Reduce::Sum, Reduce::Mean, Reduce::Max}) {
    Tensor out = Tensor::empty({5, 3});
    be.scatter_reduce(src, idx, op, out);
    std::vector<double> want(15, 0.0);
    for (int m = 0; m < 5; ++m)
      for (int c = 0; c < 3; ++c) {
        std::vector<double> vals;
        for (int i = 0; i < 6; ++i)
          if (idx.i32()[i] == m) vals.push_back(s[i * 3 + c]);
        if (vals.empty()) continue;  // rows 1 and 4 receive nothing: 0
        double r = op == Reduce::Max ? -1e300 : 0.0;
        for (double v : vals) r = op == Reduce::Max ? std::max(r, v) : r + v;
        want[m * 3 + c] = op == Reduce::Mean ? r / vals.size() : r;
      }
    EXPECT_LT(max_rel_err(out, want), 1e-6) << static_cast<int>(op);
  }
  Tensor g = Tensor::empty({6, 3});
  be.gather_rows(src, Tensor::from_vector({6}, std::vector<int32_t>{5, 4, 3, 2, 1, 0}), g);
  for (int i = 0; i < 6; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(g.f32()[i * 3 + c], src.f32()[(5 - i) * 3 + c]);
  Tensor bad = Tensor::from_vector({6}, std::vector<int32_t>{0, 1, 2, 3, 4, 9});
  EXPECT_THROW(be.gather_rows(src, bad, g), Error);
  EXPECT_THROW(be.scatter_reduce(src, bad, Reduce::Sum, Tensor::empty({5, 3})), Error);
  // Empty input: every output row is 0.
  Tensor out = random_tensor({2, 3}, 31);
  be.scatter_reduce(Tensor::empty({0, 3}), Tensor::empty({0}, DType::I32), Reduce::Max, out);
  for (float v : out.to_vector()) EXPECT_EQ(v, 0.f);
}

TEST(NnSparse, SubmanifoldConvMatchesDenseConvAtTheInputSites) {
  CpuBackend be;
  const Grid3 grid = {5, 6, 7};
  for (auto [n, ci, co] : {std::tuple{60, 3, 5}, {1, 2, 3}, {150, 7, 4}}) {
    Tensor coords = random_sites(n, 2, grid, 32 + n);
    Tensor feats = random_tensor({n, ci}, 33);
    Tensor w = random_tensor({co, 27, ci}, 34);
    Rulebook rb = build_subm_rulebook(be, coords, grid);
    Tensor y = Tensor::empty({n, co});
    be.sparse_conv(feats, rb, w, y);
    auto want =
        ref_conv3d_at(site_map(coords, feats), sites_of(coords), as_double(w), ci, co, 3, 1, 1);
    EXPECT_LT(max_rel_err(y, want), 1e-5) << n;
  }
}

TEST(NnSparse, EmptySparseTensorGivesEmptyOutputs) {
  CpuBackend be;
  Tensor coords = Tensor::empty({0, 4}, DType::I32);
  Rulebook rb = build_subm_rulebook(be, coords, {4, 4, 4});
  EXPECT_EQ(rb.num_out, 0);
  Tensor y = Tensor::empty({0, 8});
  be.sparse_conv(Tensor::empty({0, 5}), rb, random_tensor({8, 27, 5}, 35), y);
  StridedRulebook sr =
      build_strided_rulebook(be, coords, {4, 4, 4}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1});
  EXPECT_EQ(sr.out_coords.dim(0), 0);
  EXPECT_EQ(sr.out_grid, (Grid3{2, 2, 2}));
}

TEST(NnSparse, StridedConvMatchesDenseConvAndFindsEveryReachedSite) {
  CpuBackend be;
  const Grid3 grid = {6, 9, 8};
  const int64_t n = 80, ci = 3, co = 4;
  Tensor coords = random_sites(n, 2, grid, 36);
  Tensor feats = random_tensor({n, ci}, 37);
  Tensor w = random_tensor({co, 27, ci}, 38);
  StridedRulebook sr = build_strided_rulebook(be, coords, grid, {3, 3, 3}, {2, 2, 2}, {1, 1, 1});
  EXPECT_EQ(sr.out_grid, (Grid3{3, 5, 4}));
  // Expected output sites: every o with some input at o*2 - 1 + k, k in 0..2, per axis.
  std::set<Site> want_sites;
  for (const Site& s : sites_of(coords))
    for (int kz = 0; kz < 3; ++kz)
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          const int64_t z = s[1] + 1 - kz, y = s[2] + 1 - ky, x = s[3] + 1 - kx;
          if (z % 2 || y % 2 || x % 2 || z < 0 || y < 0 || x < 0) continue;
          if (z / 2 < 3 && y / 2 < 5 && x / 2 < 4) want_sites.insert({s[0], z / 2, y / 2, x / 2});
        }
  std::vector<Site> got = sites_of(sr.out_coords);
  EXPECT_EQ(std::set<Site>(got.begin(), got.end()), want_sites);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  Tensor y = Tensor::empty({sr.rulebook.num_out, co});
  be.sparse_conv(feats, sr.rulebook, w, y);
  auto want = ref_conv3d_at(site_map(coords, feats), got, as_double(w), ci, co, 3, 2, 1);
  EXPECT_LT(max_rel_err(y, want), 1e-5);
}

TEST(NnSparse, RulebookRejectsOutOfGridAndDuplicateSites) {
  CpuBackend be;
  Tensor out_of_grid = Tensor::from_vector({1, 4}, std::vector<int32_t>{0, 4, 0, 0});
  EXPECT_THROW(build_subm_rulebook(be, out_of_grid, {4, 4, 4}), Error);
  Tensor dup = Tensor::from_vector({2, 4}, std::vector<int32_t>{0, 1, 1, 1, 0, 1, 1, 1});
  EXPECT_THROW(build_subm_rulebook(be, dup, {4, 4, 4}), Error);
}

TEST(NnSparse, SparseConvModuleLoadsSpconvWeightLayout) {
  CpuBackend be;
  // A single-tap check of the (out, kz, ky, kx, in) layout: only weight[o, 2, 1, 1, i] is set,
  // which reads the neighbour at z + 1, same y and x.
  const int64_t ci = 2, co = 3;
  std::vector<float> w(co * 27 * ci, 0.f);
  for (int64_t o = 0; o < co; ++o)
    for (int64_t i = 0; i < ci; ++i)
      w[((o * 27) + (2 * 9 + 1 * 3 + 1)) * ci + i] = float(o + 1) * (i + 1);
  WeightMap wm;
  wm.add("conv.weight", Tensor::from_vector({co, 3, 3, 3, ci}, w));
  WeightLoader wl(wm, be);
  SparseConv3d conv(wl, "conv.", ci, co, {3, 3, 3}, false);
  wl.finish();
  Tensor coords = Tensor::from_vector({2, 4}, std::vector<int32_t>{0, 1, 1, 1, 0, 2, 1, 1});
  Tensor feats = Tensor::from_vector({2, 2}, std::vector<float>{1, 10, 100, 1000});
  Rulebook rb = build_subm_rulebook(be, coords, {3, 3, 3});
  Tensor y = Tensor::empty({2, co});
  conv.forward(be, feats, rb, y);
  // Site 0 (z=1) reads site 1 (z=2): (o+1) * (100*1 + 1000*2); site 1 has no z+1 neighbour.
  EXPECT_EQ(y.to_vector(), (std::vector<float>{2100, 4200, 6300, 0, 0, 0}));
}

TEST(NnSparse, SparseToDenseFoldsHeightIntoChannels) {
  CpuBackend be;
  Tensor coords =
      Tensor::from_vector({3, 4}, std::vector<int32_t>{0, 1, 2, 3, 1, 0, 0, 0, 0, 0, 1, 2});
  Tensor feats = Tensor::from_vector({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor out = random_tensor({2, 4, 3, 4}, 39);  // C=2, Z=2, Y=3, X=4
  be.sparse_to_dense(feats, coords, out);
  auto at = [&](int b, int ch, int y, int x) { return out.f32()[((b * 4 + ch) * 3 + y) * 4 + x]; };
  EXPECT_EQ(at(0, 0 * 2 + 1, 2, 3), 1.f);  // channel c*Z + z
  EXPECT_EQ(at(0, 1 * 2 + 1, 2, 3), 2.f);
  EXPECT_EQ(at(1, 0, 0, 0), 3.f);
  EXPECT_EQ(at(1, 2, 0, 0), 4.f);
  EXPECT_EQ(at(0, 0, 1, 2), 5.f);
  float sum = 0;
  for (float v : out.to_vector()) sum += v;
  EXPECT_EQ(sum, 21.f);  // everything else is zero
  Tensor bad = Tensor::from_vector({1, 4}, std::vector<int32_t>{0, 2, 0, 0});
  EXPECT_THROW(be.sparse_to_dense(Tensor::empty({1, 2}), bad, out), Error);
}
