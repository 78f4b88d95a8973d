// The folded convolution both BEV networks stack (OpenPCDet's BaseBEVBackbone/BaseBEVResBackbone
// and mmdet3d's SECOND): Conv2d without bias, its BatchNorm folded into weight and bias at load,
// "same" padding, an optional stride on the first unit of a level.
#pragma once
#include <string>

#include "nn/weights.hpp"

namespace lidardet {

struct BevConv {
  nn::Tensor w, b;
  int stride = 1;
  int pad = 1;
  int64_t out = 0;

  // Weight <weight_key> of shape [out, in, k, k] and the BatchNorm <bn_prefix>{weight,bias,
  // running_mean,running_var}; padding k / 2.
  static BevConv load(nn::WeightLoader& wl, const std::string& weight_key,
                      const std::string& bn_prefix, int64_t in, int64_t out, int kernel, int stride,
                      float eps);
  // x [1, in, H, W] -> [1, out, ceil(H / stride), ceil(W / stride)].
  nn::Tensor forward(nn::Backend& be, const nn::Tensor& x, nn::Act act = nn::Act::Identity) const;
};

}  // namespace lidardet
