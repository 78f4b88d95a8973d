#include "nn/layers.hpp"

namespace lidardet::nn {

Linear::Linear(WeightLoader& wl, const std::string& prefix, int64_t in_, int64_t out_, bool bias)
    : in(in_), out(out_) {
  w = wl.take(prefix + "weight", {out, in});
  if (bias) b = wl.take(prefix + "bias", {out});
}

Linear::Linear(Tensor w_, Tensor b_) : w(std::move(w_)), b(std::move(b_)) {
  out = w.dim(0);
  in = w.dim(1);
}

LayerNorm::LayerNorm(WeightLoader& wl, const std::string& prefix, int64_t dim, float eps_)
    : eps(eps_) {
  g = wl.take(prefix + "weight", {dim});
  b = wl.take(prefix + "bias", {dim});
}

Tensor transpose_host(const Tensor& t) {
  expect_rank("transpose_host", "t", t, 2);
  const int64_t r = t.dim(0), c = t.dim(1);
  Tensor o = Tensor::empty({c, r});
  const std::vector<float> v = t.to_vector();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) o.f32()[j * r + i] = v[i * c + j];
  return o;
}

}  // namespace lidardet::nn
