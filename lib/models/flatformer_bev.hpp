// FlatFormer's dense BEV network (flatformer.md §6): the fork's residual SECOND backbone
// (units u = ReLU(BN(conv3x3(x))), plus x when the shapes agree) and the SECONDFPN neck
// (ConvTranspose2d or strided Conv2d + BN + ReLU per level, concatenated). mmdet3d key names
// backbone.blocks.<s>.<u>.{0,1} and neck.deblocks.<i>.{0,1}; BatchNorms folded at load.
#pragma once
#include <vector>

#include "models/bev_conv.hpp"
#include "models/bev_deblock.hpp"
#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/weights.hpp"

namespace lidardet {

class FlatFormerBev {
 public:
  FlatFormerBev(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in_channels);
  // x [1, C, H, W] -> [1, sum(NECK.OUT_CHANNELS), H', W']; records backbone_2d.blocks.<s>.
  nn::Tensor forward(nn::Backend& be, const nn::Tensor& x, const StageRecorder& rec) const;
  int64_t out_channels() const { return out_channels_; }

 private:
  bool residual_ = true;
  std::vector<std::vector<BevConv>> blocks_;
  std::vector<BevDeblock> deblocks_;
  int64_t out_channels_ = 0;
};

}  // namespace lidardet
