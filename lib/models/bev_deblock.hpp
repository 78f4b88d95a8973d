// The per-level up/down-sampling "deblocks" shared by OpenPCDet's BaseBEVBackbone and mmdet3d's
// SECONDFPN: a ConvTranspose2d (stride = upsample) or a strided Conv2d (stride = 1 / upsample),
// no bias, BatchNorm folded at load, ReLU; the levels' maps are then concatenated on channels.
#pragma once
#include <string>
#include <vector>

#include "nn/weights.hpp"

namespace lidardet {

struct BevDeblock {
  nn::Tensor w, b;
  int stride = 1;
  int64_t out = 0;
  bool transposed = false;

  // Keys <prefix>0.weight and the BatchNorm <prefix>1.*, as both frameworks name them.
  static BevDeblock load(nn::WeightLoader& wl, const std::string& prefix, int64_t in, int64_t out,
                         double upsample, float eps);
  // x [1, in, H, W] -> [1, out, H*s, W*s] (transposed) or [1, out, H/s, W/s].
  nn::Tensor forward(nn::Backend& be, const nn::Tensor& x) const;
};

// [1, sum of channels, H, W] from the levels' [1, C_i, H, W] maps, which must share H and W
// (`module` names the network in the error).
nn::Tensor concat_levels(nn::Backend& be, const std::vector<nn::Tensor>& levels,
                         const std::string& module);

}  // namespace lidardet
