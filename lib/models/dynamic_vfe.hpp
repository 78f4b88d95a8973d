// OpenPCDet DynamicVoxelVFE / DynamicPillarVFE (lion.md §2.2): dynamic voxelization, per-point
// features [point channels, xyz - voxel mean, xyz - voxel centre], PFN layers (Linear +
// BatchNorm folded, ReLU, max over the voxel; non-last layers concatenate the voxel max).
#pragma once
#include <vector>

#include "core/point_cloud.hpp"
#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/layers.hpp"
#include "voxel/voxel_config.hpp"

namespace lidardet {

class DynamicVoxelVfe {
 public:
  DynamicVoxelVfe(nn::WeightLoader& wl, const ModelConfig& cfg, const VoxelizerConfig& vc);
  // Voxels of one cloud (batch index 0) with their features; coords in (b, x, y, z) order.
  SparseVoxels forward(nn::Backend& be, const PointCloud& cloud) const;

 private:
  VoxelizerConfig vc_;
  std::vector<nn::Linear> layers_;  // BatchNorm folded in
};

}  // namespace lidardet
