// Hard voxelization (OpenPCDet transform_points_to_voxels / mmcv Voxelization with max_points):
// voxels numbered in order of their first point, at most max_voxels of them, each holding its
// first max_points points in point order; points of later voxels or beyond the cap are dropped.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "voxel/dynamic_voxelizer.hpp"

namespace lidardet {

struct HardVoxels {
  int max_points = 0;
  std::size_t channels = 0;
  std::vector<float> points;               // V x max_points x channels, zero-padded
  std::vector<std::int32_t> coords;        // V x 4: (b, z, y, x)
  std::vector<std::int32_t> num_points;    // V: points kept in each voxel (1 .. max_points)
  std::vector<std::int32_t> source_voxel;  // V: index of the voxel in the dynamic result
  std::size_t num_voxels() const { return num_points.size(); }
};

// Built from a dynamic voxelization of the same clouds; limits come from the config
// (MAX_POINTS_PER_VOXEL, MAX_NUMBER_OF_VOXELS) unless given here (> 0).
HardVoxels hard_voxelize(std::span<const PointCloudView> clouds, const Voxels& voxels,
                         const VoxelizerConfig& config, int max_points = 0, int max_voxels = 0);

}  // namespace lidardet
