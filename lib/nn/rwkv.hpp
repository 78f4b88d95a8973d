// The RWKV6 block as LION uses it (lion.md §3.2, Vision-RWKV "Bi-WKV6"), pre-norm with layer
// scale:  x <- x + gamma1 * Att(ln1(x));  x <- x + gamma2 * FFN(ln2(x))  (ln0 first on block 0).
// Token shift and WKV run within each group of `group` consecutive tokens.
#pragma once
#include <string>

#include "nn/layers.hpp"

namespace lidardet::nn {

struct RwkvConfig {
  int64_t d_model = 0;
  int heads = 0;
  int64_t hidden_rate = 0;  // FFN hidden = hidden_rate * d_model
  int64_t maa_rank = 32;    // time_maa_w2 is [5, maa_rank, C] (w1 [C, 5 * maa_rank])
  int64_t decay_rank = 64;  // time_decay_w1 [C, decay_rank]
  bool has_ln0 = false;     // only the very first block of the backbone
  float norm_eps = 1e-5f;
  float group_norm_eps = 1e-5f;
};

class RwkvBlock {
 public:
  // prefix e.g. "backbone_3d.linear_1.encoder.0.blocks.0." (keys ln0/ln1/ln2, gamma1/2, att.*,
  // ffn.*).
  RwkvBlock(WeightLoader& wl, const std::string& prefix, const RwkvConfig& cfg);
  void forward(Backend& be, const Tensor& x, int64_t group) const;

 private:
  void attention(Backend& be, const Tensor& a, int64_t group, const Tensor& out) const;
  void channel_mix(Backend& be, const Tensor& f, int64_t group, const Tensor& out) const;

  RwkvConfig cfg_;
  LayerNorm ln0_, ln1_, ln2_;
  Tensor gamma1_, gamma2_;
  // Att
  Tensor maa_x_, maa_[5];       // w, k, v, r, g
  Linear maa_w1_;               // [5 * rank, C] (transposed time_maa_w1)
  Linear maa_w2_[5];            // [C, rank] each
  Linear decay_w1_, decay_w2_;  // decay_w2 carries time_decay as its bias
  Tensor u_;                    // time_faaaa [H, C/H]
  Linear key_, value_, receptance_, gate_, output_;
  Tensor ln_x_g_, ln_x_b_;
  // FFN
  Tensor mix_k_, one_minus_mix_k_, mix_r_, one_minus_mix_r_;
  Linear ffn_key_, ffn_value_, ffn_receptance_;
};

}  // namespace lidardet::nn
