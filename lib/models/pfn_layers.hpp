// The point-feature layers shared by OpenPCDet's DynamicVoxelVFE and mmdet3d's DynamicVFE:
// each layer is linear (BatchNorm folded in) + ReLU per point, then a max over each voxel's
// points; every layer but the last hands [own | voxel max] to the next.
#pragma once
#include <vector>

#include "nn/backend.hpp"
#include "nn/layers.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"

namespace lidardet {

// Voxel features [v.num_voxels(), C_last] from the per-point features `pf` of the voxels `v`.
nn::Tensor pfn_voxel_features(nn::Backend& be, const std::vector<nn::Linear>& layers,
                              const PointFeatures& pf, const Voxels& v);

}  // namespace lidardet
