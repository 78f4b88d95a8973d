#include "voxel/dynamic_voxelizer.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "voxel/parallel.hpp"
#include "voxel/point_features.hpp"
#include "voxel/radix_sort.hpp"
#include "voxel/single_pass_voxelizer.hpp"

namespace lidardet {

GridParams grid_params(const VoxelizerConfig& c) {
  GridParams g{};
  for (int a = 0; a < 3; ++a) {
    g.min[a] = c.range[a];
    g.size[a] = c.voxel_size[a];
    g.filter_min[a] = c.filter_range[a];
    g.filter_max[a] = c.filter_range[a + 3];
    g.grid[a] = c.grid[a];
  }
  g.strict_clamp = c.rule == RangeRule::kStrictClamp;
  g.order_zyx = c.order == VoxelOrder::kZYX;
  return g;
}

namespace {

// Keys of the kept points, in ascending point order; chunks are joined in chunk order.
void point_keys(std::span<const PointCloudView> clouds, const GridParams& g, int threads,
                VoxelWorkspace& ws, std::vector<std::uint64_t>& keys,
                std::vector<std::uint32_t>& kept) {
  std::vector<std::size_t> starts(clouds.size() + 1, 0);
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    if (clouds[b].size && clouds[b].num_channels() < 3)
      throw Error("voxelize: sample " + std::to_string(b) + " has " +
                  std::to_string(clouds[b].num_channels()) + " channels (expected x, y, z first)");
    starts[b + 1] = starts[b] + clouds[b].size;
  }
  const std::size_t n = starts.back();
  if (n > 0xffffffffu) throw Error("voxelize: more than 2^32 points in one batch");
  const int chunks = chunk_count(n, threads);
  auto& ck = ws.chunk_keys;
  auto& ci = ws.chunk_rows;
  ck.resize(chunks);
  ci.resize(chunks);
  parallel_chunks(n, chunks, [&](std::size_t begin, std::size_t end, int c) {
    std::vector<std::uint64_t>& k = ck[c];
    std::vector<std::uint32_t>& idx = ci[c];
    k.clear();
    idx.clear();
    k.reserve(end - begin);
    idx.reserve(end - begin);
    std::size_t b = std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin() - 1;
    for (std::size_t i = begin; i < end; ++i) {
      while (i >= starts[b + 1]) ++b;
      const PointCloudView& cl = clouds[b];
      const float* p = cl.data + (i - starts[b]) * cl.num_channels();
      int cell[3];
      if (!point_cell(p[0], p[1], p[2], g, cell)) continue;
      k.push_back(cell_key(int(b), cell, g));
      idx.push_back(std::uint32_t(i));
    }
  });
  std::size_t total = 0;
  for (int c = 0; c < chunks; ++c) total += ck[c].size();
  keys.resize(total);
  kept.resize(total);
  std::size_t pos = 0;
  for (int c = 0; c < chunks; ++c) {
    std::copy(ck[c].begin(), ck[c].end(), keys.begin() + pos);
    std::copy(ci[c].begin(), ci[c].end(), kept.begin() + pos);
    pos += ck[c].size();
  }
}

// Sorted unique keys and, per kept point, its voxel: a stable radix sort of (key, row).
void unique_by_sort(const std::vector<std::uint64_t>& point_key, int key_bits, int threads,
                    VoxelWorkspace& ws, Voxels& out) {
  const std::size_t k = point_key.size();
  std::vector<std::uint64_t>& keys = ws.sorted;
  keys.assign(point_key.begin(), point_key.end());
  std::vector<std::uint32_t>& rows = out.voxel_points;  // sorted in place: the point lists
  rows.resize(k);
  std::iota(rows.begin(), rows.end(), 0u);
  radix_sort_pairs(keys, rows, key_bits, threads, ws.radix);
  out.point_voxel.resize(k);
  out.voxel_offsets.clear();
  out.keys.clear();
  for (std::size_t i = 0; i < k; ++i) {
    if (i == 0 || keys[i] != keys[i - 1]) {
      out.voxel_offsets.push_back(std::uint32_t(i));
      out.keys.push_back(keys[i]);
    }
    out.point_voxel[rows[i]] = std::int32_t(out.keys.size() - 1);
  }
  out.voxel_offsets.push_back(std::uint32_t(k));  // stable sort: rows ascend inside a voxel
}

// The same result through an open-addressing hash table (first-come slots), then a sort of the
// unique keys only and a counting pass for the point lists.
void unique_by_hash(const std::vector<std::uint64_t>& point_key, int key_bits, int threads,
                    VoxelWorkspace& ws, Voxels& out) {
  const std::size_t k = point_key.size();
  std::size_t cap = 64;
  while (cap < 2 * k) cap <<= 1;
  constexpr std::uint64_t kEmpty = ~std::uint64_t(0);
  std::vector<std::uint64_t>& table = ws.table;
  table.assign(cap, kEmpty);
  std::vector<std::uint32_t>& slot_id = ws.slot_id;
  slot_id.resize(cap);
  std::vector<std::uint64_t>& uniq = ws.sorted;
  uniq.clear();
  std::vector<std::uint32_t>& first_id = ws.first_id;
  first_id.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    const std::uint64_t key = point_key[i];
    std::size_t h = (key * 0x9E3779B97F4A7C15ull) >> 20 & (cap - 1);
    while (table[h] != kEmpty && table[h] != key) h = (h + 1) & (cap - 1);
    if (table[h] == kEmpty) {
      table[h] = key;
      slot_id[h] = std::uint32_t(uniq.size());
      uniq.push_back(key);
    }
    first_id[i] = slot_id[h];
  }
  std::vector<std::uint32_t>& order = ws.order;
  order.resize(uniq.size());
  std::iota(order.begin(), order.end(), 0u);
  out.keys.assign(uniq.begin(), uniq.end());
  radix_sort_pairs(out.keys, order, key_bits, threads, ws.radix);
  std::vector<std::uint32_t>& rank = ws.rank;
  rank.resize(uniq.size());
  for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = std::uint32_t(r);
  out.point_voxel.resize(k);
  out.voxel_offsets.assign(uniq.size() + 1, 0);
  for (std::size_t i = 0; i < k; ++i) {
    out.point_voxel[i] = std::int32_t(rank[first_id[i]]);
    ++out.voxel_offsets[rank[first_id[i]] + 1];
  }
  for (std::size_t v = 0; v < uniq.size(); ++v) out.voxel_offsets[v + 1] += out.voxel_offsets[v];
  std::vector<std::uint32_t>& fill = ws.fill;
  fill.assign(out.voxel_offsets.begin(), out.voxel_offsets.end() - 1);
  out.voxel_points.resize(k);
  for (std::size_t i = 0; i < k; ++i)
    out.voxel_points[fill[out.point_voxel[i]]++] = std::uint32_t(i);
}

}  // namespace

void voxelize_into(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                   const VoxelizerConfig& config, int threads, UniqueMethod method,
                   std::vector<float>* means) {
  const GridParams g = grid_params(config);
  out.batch_size = int(clouds.size());
  const bool single_pass = threads <= 1 && method == UniqueMethod::kHash &&
                           voxelize_single_pass(out, ws, clouds, g, means);
  if (!single_pass) {
    std::vector<std::uint64_t>& point_key = ws.point_key;
    point_keys(clouds, g, threads, ws, point_key, out.kept_points);
    const std::uint64_t max_key = std::max<std::uint64_t>(clouds.size(), 1) * config.cells() - 1;
    const int bits = bits_for(max_key);
    if (method == UniqueMethod::kSort)
      unique_by_sort(point_key, bits, threads, ws, out);
    else
      unique_by_hash(point_key, bits, threads, ws, out);
    out.coords.resize(4 * out.keys.size());
    for (std::size_t v = 0; v < out.keys.size(); ++v)
      key_to_coord(out.keys[v], g, &out.coords[4 * v]);
    if (means) voxel_means_into(*means, clouds, out, threads);
  }
  const std::size_t m = out.keys.size();
  out.sample_offsets.assign(clouds.size() + 1, std::uint32_t(m));
  out.sample_offsets[0] = 0;
  for (std::size_t b = 1; b < clouds.size(); ++b)  // first voxel with batch index >= b
    out.sample_offsets[b] = std::uint32_t(
        std::lower_bound(out.keys.begin(), out.keys.end(), std::uint64_t(b) * config.cells()) -
        out.keys.begin());
}

Voxels voxelize(std::span<const PointCloudView> clouds, const VoxelizerConfig& config, int threads,
                UniqueMethod method) {
  Voxels out;
  VoxelWorkspace ws;
  voxelize_into(out, ws, clouds, config, threads, method);
  return out;
}

Voxels voxelize(const PointCloud& cloud, const VoxelizerConfig& config, int threads,
                UniqueMethod method) {
  const PointCloudView v = cloud.view();
  return voxelize(std::span<const PointCloudView>(&v, 1), config, threads, method);
}

}  // namespace lidardet
