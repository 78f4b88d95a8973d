// FlatFormer's voxel encoder: mmdet3d DynamicVFE on pillars (flatformer.md §3). Points pass the
// strict range filter (lo < p < hi), their pillar index is clamped into the grid, pillars come
// out sorted by (b, z, y, x). Each layer is Linear (no bias) + BatchNorm (folded) + ReLU, then a
// max over the pillar; a non-last layer feeds [own | pillar max] to the next.
#pragma once
#include <vector>

#include "core/point_cloud.hpp"
#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/layers.hpp"
#include "voxel/voxel_config.hpp"

namespace lidardet {

// The voxelizer settings of a FlatFormer config: DATA_CONFIG.POINT_RANGE_FILTER as the strict
// filter, mmdet3d's clamped (b, z, y, x) pillars. DATA_CONFIG.TANH_ON_FEATURES is the data
// pipeline's: the input points come with it applied.
VoxelizerConfig flatformer_voxelizer_config(const ModelConfig& cfg);

// x rounded to the nearest IEEE half (ties to even), back as float: mmcv's auto_fp16 casts the
// input points to FP16 in the official runs (flatformer.md §8, DATA_CONFIG.FP16_POINTS).
float round_to_half(float x);

class FlatFormerVfe {
 public:
  FlatFormerVfe(nn::WeightLoader& wl, const ModelConfig& cfg);
  // Pillars of one cloud (batch index 0), coords (b, 0, y, x), features [M, NUM_FILTERS[-1]].
  SparseVoxels forward(nn::Backend& be, const PointCloud& cloud) const;
  const VoxelizerConfig& voxelizer() const { return vc_; }

 private:
  VoxelizerConfig vc_;
  bool fp16_points_ = false;
  std::vector<nn::Linear> layers_;  // BatchNorm folded in
};

}  // namespace lidardet
