// One FlatFormer attention layer (flatformer.md §4.6), post-norm:
//   Y = LN1(X + MHA(q = k = X + PE, v = X)),  Z = LN2(Y + fc2(GELU(fc1(Y))))
// with softmax attention inside each group of `group` consecutive tokens.
#pragma once
#include <string>

#include "nn/layers.hpp"

namespace lidardet::nn {

struct AttentionConfig {
  int64_t d_model = 0;
  int heads = 0;
  int64_t ffn_hidden = 0;
  float norm_eps = 1e-5f;
};

class AttentionLayer {
 public:
  // prefix e.g. "middle_encoder.block_list.0.block.0." (keys attn.attn.in_proj_weight, ...).
  AttentionLayer(WeightLoader& wl, const std::string& prefix, const AttentionConfig& cfg);
  // x [N, C] updated in place; pe [N, C] is added to the query and key inputs only.
  void forward(Backend& be, const Tensor& x, const Tensor& pe, int64_t group) const;

 private:
  AttentionConfig cfg_;
  Linear q_, k_, v_, out_, fc1_, fc2_;
  LayerNorm norm1_, norm2_;
};

}  // namespace lidardet::nn
