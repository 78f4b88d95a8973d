#include "nn/attention.hpp"

#include "core/error.hpp"

namespace lidardet::nn {

AttentionLayer::AttentionLayer(WeightLoader& wl, const std::string& prefix,
                               const AttentionConfig& cfg)
    : cfg_(cfg) {
  const int64_t C = cfg.d_model;
  if (C < 1 || cfg.heads < 1 || C % cfg.heads || cfg.ffn_hidden < 1)
    throw Error("nn::AttentionLayer: d_model " + std::to_string(C) + " must split into " +
                std::to_string(cfg.heads) + " heads and ffn_hidden must be >= 1");
  Backend& be = wl.backend();
  // nn.MultiheadAttention packs [Wq; Wk; Wv] into one [3C, C] weight.
  Tensor w = wl.take_host(prefix + "attn.attn.in_proj_weight", {3 * C, C});
  Tensor b = wl.take_host(prefix + "attn.attn.in_proj_bias", {3 * C});
  q_ = Linear(be.upload(w.slice(0, 0, C)), be.upload(b.slice(0, 0, C)));
  k_ = Linear(be.upload(w.slice(0, C, 2 * C)), be.upload(b.slice(0, C, 2 * C)));
  v_ = Linear(be.upload(w.slice(0, 2 * C, 3 * C)), be.upload(b.slice(0, 2 * C, 3 * C)));
  out_ = Linear(wl, prefix + "attn.attn.out_proj.", C, C, true);
  fc1_ = Linear(wl, prefix + "fc1.", C, cfg.ffn_hidden, true);
  fc2_ = Linear(wl, prefix + "fc2.", cfg.ffn_hidden, C, true);
  norm1_ = LayerNorm(wl, prefix + "norm1.", C, cfg.norm_eps);
  norm2_ = LayerNorm(wl, prefix + "norm2.", C, cfg.norm_eps);
}

void AttentionLayer::forward(Backend& be, const Tensor& x, const Tensor& pe, int64_t group) const {
  const int64_t N = x.dim(0), C = cfg_.d_model;
  expect_shape("AttentionLayer", "x", x, {N, C});
  expect_shape("AttentionLayer", "pe", pe, {N, C});
  Tensor xpe = be.alloc({N, C}), q = be.alloc({N, C}), k = be.alloc({N, C}), v = be.alloc({N, C});
  be.binary(BinOp::Add, x, pe, xpe);
  q_.forward(be, xpe, q);
  k_.forward(be, xpe, k);
  v_.forward(be, x, v);
  Tensor att = be.alloc({N, C});
  be.group_attention(q, k, v, cfg_.heads, group, att);
  out_.forward(be, att, q);
  be.binary(BinOp::Add, x, q, q);
  norm1_.forward(be, q, q);  // Y
  Tensor h = be.alloc({N, cfg_.ffn_hidden});
  fc1_.forward(be, q, h, Act::GELU);
  fc2_.forward(be, h, k);
  be.binary(BinOp::Add, q, k, k);
  norm2_.forward(be, k, x);
}

}  // namespace lidardet::nn
