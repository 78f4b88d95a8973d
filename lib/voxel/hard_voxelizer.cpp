#include "voxel/hard_voxelizer.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "voxel/radix_sort.hpp"

namespace lidardet {

HardVoxels hard_voxelize(std::span<const PointCloudView> clouds, const Voxels& voxels,
                         const VoxelizerConfig& config, int max_points, int max_voxels) {
  if (max_points <= 0) max_points = config.max_points_per_voxel;
  if (max_voxels <= 0) max_voxels = config.max_voxels;
  if (max_points <= 0) throw Error("hard_voxelize: MAX_POINTS_PER_VOXEL is not configured");
  if (max_voxels <= 0) throw Error("hard_voxelize: MAX_NUMBER_OF_VOXELS is not configured");
  HardVoxels out;
  out.max_points = max_points;
  out.channels = clouds.empty() ? 0 : clouds[0].num_channels();
  // First-come order: voxels sorted by their first (smallest) kept point. Point lists are
  // ascending, so the first entry of each list is its first point; those are all distinct.
  const std::size_t m = voxels.num_voxels();
  std::vector<std::uint64_t> first(m);
  std::vector<std::uint32_t> order(m);
  for (std::size_t v = 0; v < m; ++v) first[v] = voxels.voxel_points[voxels.voxel_offsets[v]];
  std::iota(order.begin(), order.end(), 0u);
  radix_sort_pairs(first, order, bits_for(voxels.num_kept()), 1);
  const std::size_t kept = std::min<std::size_t>(m, std::size_t(max_voxels));
  std::vector<std::size_t> starts(clouds.size() + 1, 0);
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    if (clouds[b].num_channels() != out.channels && clouds[b].size)
      throw Error("hard_voxelize: sample " + std::to_string(b) + " has other channels");
    starts[b + 1] = starts[b] + clouds[b].size;
  }
  out.points.assign(kept * max_points * out.channels, 0.0f);
  out.coords.resize(4 * kept);
  out.num_points.resize(kept);
  out.source_voxel.resize(kept);
  for (std::size_t i = 0; i < kept; ++i) {
    const std::uint32_t v = order[i];
    out.source_voxel[i] = std::int32_t(v);
    std::copy_n(&voxels.coords[4 * v], 4, &out.coords[4 * i]);
    const std::uint32_t n = std::min<std::uint32_t>(voxels.voxel_size(v), max_points);
    out.num_points[i] = std::int32_t(n);
    for (std::uint32_t j = 0; j < n; ++j) {
      const std::size_t g = voxels.kept_points[voxels.voxel_points[voxels.voxel_offsets[v] + j]];
      const std::size_t b = std::upper_bound(starts.begin(), starts.end(), g) - starts.begin() - 1;
      std::memcpy(&out.points[(i * max_points + j) * out.channels], clouds[b].row(g - starts[b]),
                  out.channels * sizeof(float));
    }
  }
  return out;
}

}  // namespace lidardet
