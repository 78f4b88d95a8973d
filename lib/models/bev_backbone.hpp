// OpenPCDet BaseBEVBackbone and BaseBEVResBackbone (lion.md §2.9): per level a strided 3x3 conv and
// LAYER_NUMS 3x3 convs (BatchNorm folded, ReLU), an up/down-sampling deblock per level,
// concatenated.
#pragma once
#include <vector>

#include "models/bev_conv.hpp"
#include "models/bev_deblock.hpp"
#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/weights.hpp"

namespace lidardet {

class BaseBevBackbone {
 public:
  BaseBevBackbone(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in_channels);
  // x [1, C, H, W] -> [1, sum(NUM_UPSAMPLE_FILTERS), H', W'].
  nn::Tensor forward(nn::Backend& be, const nn::Tensor& x, const StageRecorder& rec) const;
  int64_t out_channels() const { return out_channels_; }

 private:
  // BaseBEVResBackbone: relu(bn2(conv2(relu(bn1(conv1(x))))) + identity), identity through a
  // 1x1 conv + BN on the first unit of each level.
  struct ResUnit {
    BevConv conv1, conv2, down;
    bool has_down = false;
  };
  bool residual_ = false;
  std::vector<std::vector<BevConv>> blocks_;
  std::vector<std::vector<ResUnit>> res_blocks_;
  std::vector<BevDeblock> deblocks_;
  int64_t out_channels_ = 0;
};

}  // namespace lidardet
