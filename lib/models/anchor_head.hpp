// AnchorHeadSingle's three 1x1 convolutions (conv_cls, conv_box, conv_dir_cls); decoding and
// NMS are in anchor_head_decode.hpp.
#pragma once
#include "models/head_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/weights.hpp"

namespace lidardet {

struct AnchorHeadMaps {
  nn::Tensor cls, box, dir;  // [1, A*K, H, W], [1, A*7, H, W], [1, A*bins, H, W]
};

class AnchorHead {
 public:
  AnchorHead(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in_channels);
  AnchorHeadMaps forward(nn::Backend& be, const nn::Tensor& x) const;
  const AnchorHeadSettings& settings() const { return s_; }

 private:
  AnchorHeadSettings s_;
  nn::Tensor wc_, bc_, wb_, bb_, wd_, bd_;
  int64_t a_ = 0, k_ = 0;
};

}  // namespace lidardet
