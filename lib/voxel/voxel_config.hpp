// Voxelizer configuration, read from the model YAML (OpenPCDet / mmdet3d key names).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace lidardet {

// Which points a dynamic voxelizer keeps.
enum class RangeRule {
  // OpenPCDet: coord = floor((p - min) / size), keep when 0 <= coord < grid on every axis, so a
  // point exactly on the upper edge falls out.
  kGrid,
  // mmdet3d (FlatFormer): keep when filter_min < p < filter_max strictly on every axis, then
  // clamp the coordinate into [0, grid - 1].
  kStrictClamp,
};

// Order of the unique voxels in the output.
enum class VoxelOrder {
  kXYZ,  // ascending (b, x, y, z): OpenPCDet
  kZYX,  // ascending (b, z, y, x): mmdet3d, y-major pillars
};

struct VoxelizerConfig {
  std::array<float, 6> range{};       // x0 y0 z0 x1 y1 z1, metres
  std::array<float, 3> voxel_size{};  // metres
  std::array<int, 3> grid{};          // X Y Z cells, round((max - min) / size)
  RangeRule rule = RangeRule::kGrid;
  std::array<float, 6> filter_range{};  // kStrictClamp only; defaults to `range`
  VoxelOrder order = VoxelOrder::kXYZ;

  // Per-point features (DynamicVoxelVFE / DynamicPillarVFE / mmdet3d DynamicVFE).
  bool use_absolute_xyz = true;  // keep x, y, z as the first feature channels
  bool with_distance = false;    // append |xyz|
  bool with_cluster_center = true;
  bool with_voxel_center = true;
  std::vector<std::string> tanh_channels;  // channel names replaced by tanh(value)

  // Hard voxelization limits (transform_points_to_voxels).
  int max_points_per_voxel = 0;  // 0: not configured
  int max_voxels = 0;

  // Flat node holding POINT_CLOUD_RANGE, VOXEL_SIZE and optional keys (RANGE_RULE: grid |
  // strict_clamp, FILTER_RANGE, VOXEL_ORDER: xyz | zyx, USE_ABSLOTE_XYZ, WITH_DISTANCE,
  // WITH_CLUSTER_CENTER, WITH_VOXEL_CENTER, TANH_CHANNELS, MAX_POINTS_PER_VOXEL,
  // MAX_NUMBER_OF_VOXELS). `file` names the source in error messages.
  static VoxelizerConfig from_yaml(const YAML::Node& node, const std::string& file = "<yaml>");
  // A whole model config: DATA_CONFIG.POINT_CLOUD_RANGE, the VOXEL_SIZE of the DATA_PROCESSOR
  // entry named transform_points_to_voxels*, and MODEL.VFE for the feature switches.
  static VoxelizerConfig from_model_yaml(const YAML::Node& root, const std::string& file);
  static VoxelizerConfig from_model_file(const std::string& path);

  // Derives `grid` and checks sizes; throws lidardet::Error naming `file`.
  void finalize(const std::string& file = "<config>");
  // Total cells X * Y * Z.
  std::uint64_t cells() const {
    return std::uint64_t(grid[0]) * std::uint64_t(grid[1]) * std::uint64_t(grid[2]);
  }
};

}  // namespace lidardet
