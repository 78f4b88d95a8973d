#include "nn/mamba.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lidardet::nn {

MambaBlock::Direction MambaBlock::load_direction(WeightLoader& wl, const std::string& p,
                                                 const std::string& sfx) {
  const int64_t di = cfg_.d_inner(), S = cfg_.d_state, R = cfg_.dt_rank(), K = cfg_.d_conv;
  Backend& be = wl.backend();
  Direction d;
  d.conv_w = be.upload(wl.take_host(p + "conv1d" + sfx + ".weight", {di, 1, K}).reshape({di, K}));
  d.conv_b = wl.take(p + "conv1d" + sfx + ".bias", {di});
  d.x_proj = Linear(wl, p + "x_proj" + sfx + ".", di, R + 2 * S, false);
  d.dt_proj = Linear(wl.take(p + "dt_proj" + sfx + ".weight", {di, R}), Tensor());
  d.dt_proj.b = wl.take(p + "dt_proj" + sfx + ".bias", {di});
  const std::string a_key = sfx.empty() ? "A_log" : "A_b_log";
  Tensor a_log = wl.take_host(p + a_key, {di, S});
  Tensor A = Tensor::empty({di, S});
  for (int64_t i = 0; i < di * S; ++i) A.f32()[i] = -std::exp(a_log.f32()[i]);
  d.A = be.upload(A);
  d.D = wl.take(p + (sfx.empty() ? "D" : "D_b"), {di});
  return d;
}

MambaBlock::MambaBlock(WeightLoader& wl, const std::string& prefix, const MambaConfig& cfg)
    : cfg_(cfg) {
  if (cfg.d_model < 1 || cfg.d_state < 1 || cfg.d_conv < 1 || cfg.expand < 1)
    throw Error("nn::MambaBlock: d_model, d_state, d_conv and expand must be >= 1");
  const std::string p = prefix + "mamba.";
  in_proj_ = Linear(wl, p + "in_proj.", cfg.d_model, 2 * cfg.d_inner(), false);
  fwd_ = load_direction(wl, p, "");
  bwd_ = load_direction(wl, p, "_b");
  out_proj_ = Linear(wl, p + "out_proj.", cfg.d_inner(), cfg.d_model, false);
  norm_ = LayerNorm(wl, prefix + "norm.", cfg.d_model, cfg.norm_eps);
}

void MambaBlock::forward(Backend& be, const Tensor& x, int64_t group) const {
  const int64_t N = x.dim(0), di = cfg_.d_inner(), S = cfg_.d_state, R = cfg_.dt_rank();
  expect_shape("MambaBlock", "x", x, {N, cfg_.d_model});
  Tensor xz = be.alloc({N, 2 * di});
  in_proj_.forward(be, x, xz);
  const Tensor xs = xz.slice(1, 0, di), zs = xz.slice(1, di, 2 * di);
  Tensor acc = be.alloc({N, di});
  Tensor u = be.alloc({N, di}), xdbl = be.alloc({N, R + 2 * S}), dt = be.alloc({N, di});
  for (int dir = 0; dir < 2; ++dir) {
    const Direction& d = dir == 0 ? fwd_ : bwd_;
    const bool reverse = dir == 1;
    be.causal_conv1d_silu(xs, d.conv_w, d.conv_b, group, reverse, u);
    d.x_proj.forward(be, u, xdbl);
    be.linear(xdbl.slice(1, 0, R), d.dt_proj.w, Tensor(), dt);
    ScanArgs a;
    a.u = u;
    a.delta = dt;
    a.delta_bias = d.dt_proj.b;
    a.A = d.A;
    a.B = xdbl.slice(1, R, R + S);
    a.C = xdbl.slice(1, R + S, R + 2 * S);
    a.D = d.D;
    a.z = zs;
    a.out = acc;
    a.group = group;
    a.reverse = reverse;
    a.accumulate = reverse;  // o_f + o_b, no division by 2
    be.selective_scan(a);
  }
  Tensor y = be.alloc({N, cfg_.d_model});
  out_proj_.forward(be, acc, y);
  norm_.forward(be, y, y);
  be.binary(BinOp::Add, x, y, x);
}

}  // namespace lidardet::nn
