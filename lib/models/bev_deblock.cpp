#include "models/bev_deblock.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lidardet {

BevDeblock BevDeblock::load(nn::WeightLoader& wl, const std::string& prefix, int64_t in,
                            int64_t out, double upsample, float eps) {
  BevDeblock d;
  d.out = out;
  d.transposed = upsample >= 1;
  d.stride = int(std::lround(d.transposed ? upsample : 1.0 / upsample));
  const int s = d.stride;
  std::tie(d.w, d.b) =
      d.transposed
          ? wl.take_folded_transposed(prefix + "0.weight", {in, out, s, s}, prefix + "1.", eps)
          : wl.take_folded(prefix + "0.weight", {out, in, s, s}, "", prefix + "1.", eps);
  return d;
}

nn::Tensor BevDeblock::forward(nn::Backend& be, const nn::Tensor& x) const {
  const int64_t H = transposed ? x.dim(2) * stride : x.dim(2) / stride;
  const int64_t W = transposed ? x.dim(3) * stride : x.dim(3) / stride;
  nn::Tensor u = be.alloc({1, out, H, W});
  if (transposed)
    be.conv_transpose2d(x, w, b, stride, 0, u, nn::Act::ReLU);
  else
    be.conv2d(x, w, b, stride, 0, u, nn::Act::ReLU);
  return u;
}

nn::Tensor concat_levels(nn::Backend& be, const std::vector<nn::Tensor>& levels,
                         const std::string& module) {
  const int64_t H = levels.at(0).dim(2), W = levels[0].dim(3);
  int64_t channels = 0;
  std::vector<nn::Tensor> parts;
  for (const auto& u : levels) {
    if (u.dim(2) != H || u.dim(3) != W)
      throw Error(module + ": the levels upsample to different sizes (" +
                  nn::shape_string(levels[0].shape()) + " vs " + nn::shape_string(u.shape()) + ")");
    parts.push_back(u.reshape({u.dim(1), H * W}));
    channels += u.dim(1);
  }
  nn::Tensor out = be.alloc({channels, H * W});
  be.concat(parts, 0, out);
  return out.reshape({1, channels, H, W});
}

}  // namespace lidardet
