#include "nn/sparse_conv.hpp"

namespace lidardet::nn {

SparseConv3d::SparseConv3d(WeightLoader& wl, const std::string& prefix, int64_t in_, int64_t out_,
                           const Grid3& k, bool bias)
    : kernel(k), in(in_), out(out_) {
  const int64_t K = k[0] * k[1] * k[2];
  w = wl.backend().upload(
      wl.take_host(prefix + "weight", {out, k[0], k[1], k[2], in}).reshape({out, K, in}));
  if (bias) b = wl.take(prefix + "bias", {out});
}

void SparseConv3d::forward(Backend& be, const Tensor& x, const Rulebook& rb,
                           const Tensor& y) const {
  be.sparse_conv(x, rb, w, y);
  if (b.defined()) be.binary(BinOp::Add, y, b, y);
}

}  // namespace lidardet::nn
