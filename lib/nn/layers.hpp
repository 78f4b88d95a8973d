// Small parameterised layers shared by the larger modules.
#pragma once
#include <string>

#include "nn/weights.hpp"

namespace lidardet::nn {

// y = act(x W^T + b), W [out, in] (PyTorch nn.Linear).
struct Linear {
  Tensor w, b;  // b undefined when the layer has no bias
  int64_t in = 0, out = 0;
  Linear() = default;
  Linear(WeightLoader& wl, const std::string& prefix, int64_t in, int64_t out, bool bias);
  // From an explicit weight already on the backend.
  Linear(Tensor w, Tensor b);
  void forward(Backend& be, const Tensor& x, const Tensor& y, Act act = Act::Identity,
               bool accumulate = false) const {
    be.linear(x, w, b, y, act, accumulate);
  }
};

struct LayerNorm {
  Tensor g, b;
  float eps = 1e-5f;
  LayerNorm() = default;
  LayerNorm(WeightLoader& wl, const std::string& prefix, int64_t dim, float eps);
  void forward(Backend& be, const Tensor& x, const Tensor& y) const {
    be.layer_norm(x, g, b, eps, y);
  }
};

// Host transpose of a 2-D tensor (load-time weight layout changes).
Tensor transpose_host(const Tensor& t);

}  // namespace lidardet::nn
