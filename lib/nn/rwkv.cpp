#include "nn/rwkv.hpp"

#include "core/error.hpp"

namespace lidardet::nn {

namespace {
Tensor one_minus(const Tensor& t) {
  Tensor o = Tensor::empty(t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) o.f32()[i] = 1.f - t.f32()[i];
  return o;
}
}  // namespace

RwkvBlock::RwkvBlock(WeightLoader& wl, const std::string& prefix, const RwkvConfig& cfg)
    : cfg_(cfg) {
  const int64_t C = cfg.d_model, H = cfg.heads, rank = cfg.maa_rank;
  if (C < 1 || H < 1 || C % H || cfg.hidden_rate < 1 || rank < 1 || cfg.decay_rank < 1)
    throw Error("nn::RwkvBlock: d_model " + std::to_string(C) + " must split into " +
                std::to_string(H) + " heads, and hidden_rate and ranks must be >= 1");
  Backend& be = wl.backend();
  const std::string a = prefix + "att.", f = prefix + "ffn.";
  if (cfg.has_ln0) ln0_ = LayerNorm(wl, prefix + "ln0.", C, cfg.norm_eps);
  ln1_ = LayerNorm(wl, prefix + "ln1.", C, cfg.norm_eps);
  ln2_ = LayerNorm(wl, prefix + "ln2.", C, cfg.norm_eps);
  gamma1_ = wl.take(prefix + "gamma1", {C});
  gamma2_ = wl.take(prefix + "gamma2", {C});

  auto vec = [&](const std::string& key) { return wl.take_host(key, {1, 1, C}).reshape({C}); };
  maa_x_ = be.upload(vec(a + "time_maa_x"));
  const char* names[5] = {"w", "k", "v", "r", "g"};
  for (int i = 0; i < 5; ++i) maa_[i] = be.upload(vec(a + "time_maa_" + names[i]));
  maa_w1_ =
      Linear(be.upload(transpose_host(wl.take_host(a + "time_maa_w1", {C, 5 * rank}))), Tensor());
  Tensor w2 = wl.take_host(a + "time_maa_w2", {5, rank, C});
  for (int i = 0; i < 5; ++i)
    maa_w2_[i] =
        Linear(be.upload(transpose_host(w2.slice(0, i, i + 1).reshape({rank, C}))), Tensor());
  decay_w1_ = Linear(
      be.upload(transpose_host(wl.take_host(a + "time_decay_w1", {C, cfg.decay_rank}))), Tensor());
  decay_w2_ =
      Linear(be.upload(transpose_host(wl.take_host(a + "time_decay_w2", {cfg.decay_rank, C}))),
             be.upload(vec(a + "time_decay")));
  u_ = wl.take(a + "time_faaaa", {H, C / H});
  key_ = Linear(wl, a + "key.", C, C, false);
  value_ = Linear(wl, a + "value.", C, C, false);
  receptance_ = Linear(wl, a + "receptance.", C, C, false);
  gate_ = Linear(wl, a + "gate.", C, C, false);
  output_ = Linear(wl, a + "output.", C, C, false);
  ln_x_g_ = wl.take(a + "ln_x.weight", {C});
  ln_x_b_ = wl.take(a + "ln_x.bias", {C});

  Tensor mk = vec(f + "spatial_mix_k"), mr = vec(f + "spatial_mix_r");
  mix_k_ = be.upload(mk);
  mix_r_ = be.upload(mr);
  one_minus_mix_k_ = be.upload(one_minus(mk));
  one_minus_mix_r_ = be.upload(one_minus(mr));
  const int64_t hidden = cfg.hidden_rate * C;
  ffn_key_ = Linear(wl, f + "key.", C, hidden, false);
  ffn_value_ = Linear(wl, f + "value.", hidden, C, false);
  ffn_receptance_ = Linear(wl, f + "receptance.", C, C, false);
}

void RwkvBlock::attention(Backend& be, const Tensor& a, int64_t group, const Tensor& out) const {
  const int64_t N = a.dim(0), C = cfg_.d_model, rank = cfg_.maa_rank;
  Tensor dx = be.alloc({N, C}), m = be.alloc({N, C});
  be.token_shift_diff(a, group, dx);
  be.addcmul(a, dx, maa_x_, m);
  Tensor t5 = be.alloc({N, 5 * rank});
  maa_w1_.forward(be, m, t5, Act::Tanh);
  Tensor mix[5];  // xw, xk, xv, xr, xg
  Tensor mi = be.alloc({N, C});
  for (int i = 0; i < 5; ++i) {
    maa_w2_[i].forward(be, t5.slice(1, i * rank, (i + 1) * rank), mi);
    be.binary(BinOp::Add, mi, maa_[i], mi);
    mix[i] = be.alloc({N, C});
    be.addcmul(a, dx, mi, mix[i]);
  }
  Tensor r = be.alloc({N, C}), k = be.alloc({N, C}), v = be.alloc({N, C}), g = be.alloc({N, C});
  key_.forward(be, mix[1], k);
  value_.forward(be, mix[2], v);
  receptance_.forward(be, mix[3], r);
  gate_.forward(be, mix[4], g, Act::SiLU);
  Tensor td = be.alloc({N, cfg_.decay_rank}), w = be.alloc({N, C});
  decay_w1_.forward(be, mix[0], td, Act::Tanh);
  decay_w2_.forward(be, td, w);  // + time_decay
  Tensor y = be.alloc({N, C});
  be.wkv6(r, k, v, w, u_, cfg_.heads, group, y);
  Tensor y3 = y.reshape({N, C, 1});
  be.group_norm(y3, cfg_.heads, ln_x_g_, ln_x_b_, cfg_.group_norm_eps, y3);
  be.binary(BinOp::Mul, y, g, y);
  output_.forward(be, y, out);
}

void RwkvBlock::channel_mix(Backend& be, const Tensor& f, int64_t group, const Tensor& out) const {
  const int64_t N = f.dim(0), C = cfg_.d_model;
  // Copied literally from the reference: dx is shift(f) - f, not shift(f).
  Tensor dx = be.alloc({N, C}), xk = be.alloc({N, C}), xr = be.alloc({N, C});
  be.token_shift_diff(f, group, dx);
  be.binary(BinOp::Mul, f, mix_k_, xk);
  be.addcmul(xk, dx, one_minus_mix_k_, xk);
  be.binary(BinOp::Mul, f, mix_r_, xr);
  be.addcmul(xr, dx, one_minus_mix_r_, xr);
  Tensor h = be.alloc({N, cfg_.hidden_rate * C});
  ffn_key_.forward(be, xk, h, Act::ReLU);
  be.binary(BinOp::Mul, h, h, h);
  Tensor kv = be.alloc({N, C});
  ffn_value_.forward(be, h, kv);
  ffn_receptance_.forward(be, xr, out, Act::Sigmoid);
  be.binary(BinOp::Mul, out, kv, out);
}

void RwkvBlock::forward(Backend& be, const Tensor& x, int64_t group) const {
  const int64_t N = x.dim(0), C = cfg_.d_model;
  expect_shape("RwkvBlock", "x", x, {N, C});
  if (cfg_.has_ln0) ln0_.forward(be, x, x);
  Tensor a = be.alloc({N, C}), o = be.alloc({N, C});
  ln1_.forward(be, x, a);
  attention(be, a, group, o);
  be.addcmul(x, o, gamma1_, x);
  ln2_.forward(be, x, a);
  channel_mix(be, a, group, o);
  be.addcmul(x, o, gamma2_, x);
}

}  // namespace lidardet::nn
