#include "models/bev_conv.hpp"

namespace lidardet {

BevConv BevConv::load(nn::WeightLoader& wl, const std::string& weight_key,
                      const std::string& bn_prefix, int64_t in, int64_t out, int kernel, int stride,
                      float eps) {
  BevConv c;
  c.out = out;
  c.stride = stride;
  c.pad = kernel / 2;
  std::tie(c.w, c.b) = wl.take_folded(weight_key, {out, in, kernel, kernel}, "", bn_prefix, eps);
  return c;
}

nn::Tensor BevConv::forward(nn::Backend& be, const nn::Tensor& x, nn::Act act) const {
  const int64_t k = w.dim(2);
  const int64_t H = (x.dim(2) + 2 * pad - k) / stride + 1,
                W = (x.dim(3) + 2 * pad - k) / stride + 1;
  nn::Tensor y = be.alloc({1, out, H, W});
  be.conv2d(x, w, b, stride, pad, y, act);
  return y;
}

}  // namespace lidardet
