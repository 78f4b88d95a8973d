// spconv 2.x sparse 3D convolution weights (out, kz, ky, kx, in), applied through a Rulebook.
#pragma once
#include <string>

#include "nn/rulebook.hpp"
#include "nn/weights.hpp"

namespace lidardet::nn {

struct SparseConv3d {
  Tensor w;  // [out, K, in], K = kz*ky*kx
  Tensor b;  // undefined without bias
  Grid3 kernel{3, 3, 3};
  int64_t in = 0, out = 0;
  SparseConv3d() = default;
  // Key `prefix + "weight"` of shape [out, kz, ky, kx, in]; `prefix + "bias"` when bias.
  SparseConv3d(WeightLoader& wl, const std::string& prefix, int64_t in, int64_t out,
               const Grid3& kernel, bool bias);
  // y [num_out, out] from x [num_in, in].
  void forward(Backend& be, const Tensor& x, const Rulebook& rb, const Tensor& y) const;
};

}  // namespace lidardet::nn
