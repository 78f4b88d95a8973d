// The bidirectional Mamba block as LION uses it (lion.md §3.1): h <- h + LayerNorm(Mamba(h)),
// with shared in/out projections and separate forward/backward conv1d, x_proj, dt_proj, A, D.
// The selective-scan state resets at every group of `group` consecutive tokens.
#pragma once
#include <string>

#include "nn/layers.hpp"

namespace lidardet::nn {

struct MambaConfig {
  int64_t d_model = 0;
  int64_t d_state = 0;
  int64_t d_conv = 0;
  int64_t expand = 0;
  float norm_eps = 1e-5f;
  int64_t d_inner() const { return expand * d_model; }
  int64_t dt_rank() const { return (d_model + 15) / 16; }  // ceil(d_model / 16)
};

class MambaBlock {
 public:
  // prefix e.g. "backbone_3d.linear_1.encoder.0.blocks.0." (keys "mamba.*" and "norm.*").
  MambaBlock(WeightLoader& wl, const std::string& prefix, const MambaConfig& cfg);
  // x [N, d_model], updated in place; scratch from the backend's arena.
  void forward(Backend& be, const Tensor& x, int64_t group) const;
  const MambaConfig& config() const { return cfg_; }

 private:
  struct Direction {
    Tensor conv_w, conv_b, A, D;  // A = -exp(A_log), conv_w [d_inner, d_conv]
    Linear x_proj, dt_proj;       // dt_proj bias is applied inside the scan
  };
  Direction load_direction(WeightLoader& wl, const std::string& p, const std::string& suffix);

  MambaConfig cfg_;
  Linear in_proj_, out_proj_;
  Direction fwd_, bwd_;
  LayerNorm norm_;
};

}  // namespace lidardet::nn
