// CPU sequence ops over groups of tokens: attention, causal conv1d, Mamba selective scan,
// RWKV token shift and bidirectional WKV6. Loops run tokens strictly in order.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "nn/cpu_backend.hpp"
#include "nn/cpu_util.hpp"

namespace lidardet::nn {

using namespace cpu;

static void check_group(const char* op, int64_t group) {
  if (group < 1) throw Error(std::string("nn::") + op + ": group size must be >= 1");
}

static void same_shape_rows(const char* op, const Rows& a, const Rows& b, const char* name) {
  if (a.rows != b.rows || a.cols != b.cols)
    throw Error(std::string("nn::") + op + ": argument '" + name + "' is " +
                std::to_string(b.rows) + "x" + std::to_string(b.cols) + ", expected " +
                std::to_string(a.rows) + "x" + std::to_string(a.cols));
}

void CpuBackend::group_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads,
                                 int64_t group, const Tensor& out) {
  check_group("group_attention", group);
  Rows Q = rows_of("group_attention", "q", q), K = rows_of("group_attention", "k", k),
       V = rows_of("group_attention", "v", v), O = rows_of("group_attention", "out", out);
  same_shape_rows("group_attention", Q, K, "k");
  same_shape_rows("group_attention", Q, V, "v");
  same_shape_rows("group_attention", Q, O, "out");
  if (heads < 1 || Q.cols % heads)
    throw Error("nn::group_attention: " + std::to_string(Q.cols) + " channels in " +
                std::to_string(heads) + " heads");
  const int64_t dh = Q.cols / heads;
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  thread_local std::vector<float> scores;
  for (int64_t g0 = 0; g0 < Q.rows; g0 += group) {
    const int64_t L = std::min(group, Q.rows - g0);
    if (scores.size() < static_cast<std::size_t>(L * L)) scores.resize(L * L);
    float* S = scores.data();
    for (int h = 0; h < heads; ++h) {
      const int64_t c0 = h * dh;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh, scale, Q.row(g0) + c0,
                  Q.stride, K.row(g0) + c0, K.stride, 0.f, S, L);
      for (int64_t i = 0; i < L; ++i) {
        float* s = S + i * L;
        float mx = s[0];
        for (int64_t j = 1; j < L; ++j) mx = std::max(mx, s[j]);
        float sum = 0.f;
        for (int64_t j = 0; j < L; ++j) {
          s[j] = std::exp(s[j] - mx);
          sum += s[j];
        }
        const float inv = 1.f / sum;
        for (int64_t j = 0; j < L; ++j) s[j] *= inv;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L, 1.f, S, L, V.row(g0) + c0,
                  V.stride, 0.f, O.row(g0) + c0, O.stride);
    }
  }
}

void CpuBackend::causal_conv1d_silu(const Tensor& x, const Tensor& w, const Tensor& b,
                                    int64_t group, bool reverse, const Tensor& out) {
  check_group("causal_conv1d_silu", group);
  Rows X = rows_of("causal_conv1d_silu", "x", x), O = rows_of("causal_conv1d_silu", "out", out);
  same_shape_rows("causal_conv1d_silu", X, O, "out");
  expect_rank("causal_conv1d_silu", "w", w, 2);
  const int64_t D = X.cols, Kc = w.dim(1);
  expect_shape("causal_conv1d_silu", "w", w, {D, Kc});
  expect_shape("causal_conv1d_silu", "b", b, {D});
  const float *W = w.f32(), *bias = b.f32();
  for (int64_t g0 = 0; g0 < X.rows; g0 += group) {
    const int64_t g1 = std::min(X.rows, g0 + group);
    for (int64_t t = g0; t < g1; ++t) {
      float* o = O.row(t);
      for (int64_t c = 0; c < D; ++c) o[c] = bias[c];
      for (int64_t j = 0; j < Kc; ++j) {
        // Tap j reads t - (Kc-1-j) forward, t + (Kc-1-j) in reverse (the flipped sequence).
        const int64_t src = reverse ? t + (Kc - 1 - j) : t - (Kc - 1 - j);
        if (src < g0 || src >= g1) continue;
        const float* xs = X.row(src);
        for (int64_t c = 0; c < D; ++c) o[c] += W[c * Kc + j] * xs[c];
      }
      for (int64_t c = 0; c < D; ++c) o[c] = siluf(o[c]);
    }
  }
}

void CpuBackend::selective_scan(const ScanArgs& a) {
  const char* op = "selective_scan";
  check_group(op, a.group);
  Rows U = rows_of(op, "u", a.u), Dl = rows_of(op, "delta", a.delta), O = rows_of(op, "out", a.out);
  Rows Bm = rows_of(op, "B", a.B), Cm = rows_of(op, "C", a.C);
  same_shape_rows(op, U, Dl, "delta");
  same_shape_rows(op, U, O, "out");
  const int64_t N = U.rows, D = U.cols;
  expect_rank(op, "A", a.A, 2);
  const int64_t S = a.A.dim(1);
  expect_shape(op, "A", a.A, {D, S});
  expect_shape(op, "D", a.D, {D});
  expect_shape(op, "delta_bias", a.delta_bias, {D});
  if (Bm.rows != N || Bm.cols != S || Cm.rows != N || Cm.cols != S)
    throw Error("nn::selective_scan: B and C must be [" + std::to_string(N) + ", " +
                std::to_string(S) + "]");
  Rows Z;
  if (a.z.defined()) {
    Z = rows_of(op, "z", a.z);
    same_shape_rows(op, U, Z, "z");
  }
  const float *A = a.A.f32(), *Dv = a.D.f32(), *db = a.delta_bias.f32();
  thread_local std::vector<float> state, dt;
  state.resize(D * S);
  dt.resize(D);
  for (int64_t g0 = 0; g0 < N; g0 += a.group) {
    const int64_t len = std::min(a.group, N - g0);
    std::fill(state.begin(), state.end(), 0.f);
    for (int64_t s = 0; s < len; ++s) {
      const int64_t t = a.reverse ? g0 + len - 1 - s : g0 + s;
      const float *u = U.row(t), *dl = Dl.row(t), *B = Bm.row(t), *C = Cm.row(t);
      float* o = O.row(t);
      for (int64_t c = 0; c < D; ++c) dt[c] = softplus20(dl[c] + db[c]);
      for (int64_t c = 0; c < D; ++c) {
        float* st = state.data() + c * S;
        const float* Ac = A + c * S;
        const float du = dt[c] * u[c];
        float y = 0.f;
        for (int64_t n = 0; n < S; ++n) {
          st[n] = std::exp(dt[c] * Ac[n]) * st[n] + du * B[n];
          y += C[n] * st[n];
        }
        y += Dv[c] * u[c];
        if (a.z.defined()) y *= siluf(Z.row(t)[c]);
        o[c] = a.accumulate ? o[c] + y : y;
      }
    }
  }
}

void CpuBackend::token_shift_diff(const Tensor& x, int64_t group, const Tensor& out) {
  check_group("token_shift_diff", group);
  Rows X = rows_of("token_shift_diff", "x", x), O = rows_of("token_shift_diff", "out", out);
  same_shape_rows("token_shift_diff", X, O, "out");
  for (int64_t t = 0; t < X.rows; ++t) {
    const float* xt = X.row(t);
    const float* xp = (t % group == 0) ? nullptr : X.row(t - 1);
    float* o = O.row(t);
    for (int64_t c = 0; c < X.cols; ++c) o[c] = (xp ? xp[c] : 0.f) - xt[c];
  }
}

void CpuBackend::wkv6(const Tensor& r, const Tensor& k, const Tensor& v, const Tensor& w,
                      const Tensor& u, int heads, int64_t group, const Tensor& out) {
  const char* op = "wkv6";
  check_group(op, group);
  Rows R = rows_of(op, "r", r), K = rows_of(op, "k", k), V = rows_of(op, "v", v),
       W = rows_of(op, "w", w), O = rows_of(op, "out", out);
  same_shape_rows(op, R, K, "k");
  same_shape_rows(op, R, V, "v");
  same_shape_rows(op, R, W, "w");
  same_shape_rows(op, R, O, "out");
  const int64_t C = R.cols;
  if (heads < 1 || C % heads)
    throw Error("nn::wkv6: " + std::to_string(C) + " channels in " + std::to_string(heads) +
                " heads");
  const int64_t hs = C / heads;
  expect_shape(op, "u", u, {heads, hs});
  const float* U = u.f32();
  thread_local std::vector<float> state, decay;
  state.resize(hs * hs);
  decay.resize(C);
  for (int64_t g0 = 0; g0 < R.rows; g0 += group) {
    const int64_t g1 = std::min(R.rows, g0 + group);
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t c0 = h * hs;
      const float* uh = U + h * hs;
      // Forward pass: y_t = sum_j r_t[j] (u[j] k_t[j] v_t[i] + S[j][i]); S = e_t S + k_t v_t.
      std::fill(state.begin(), state.end(), 0.f);
      for (int64_t t = g0; t < g1; ++t) {
        const float *rt = R.row(t) + c0, *kt = K.row(t) + c0, *vt = V.row(t) + c0,
                    *wt = W.row(t) + c0;
        float* o = O.row(t) + c0;
        for (int64_t i = 0; i < hs; ++i) o[i] = 0.f;
        for (int64_t j = 0; j < hs; ++j) {
          const float e = std::exp(-std::exp(wt[j]));
          float* sj = state.data() + j * hs;
          const float rk = rt[j] * kt[j] * uh[j];
          for (int64_t i = 0; i < hs; ++i) {
            o[i] += rt[j] * sj[i] + rk * vt[i];
            sj[i] = e * sj[i] + kt[j] * vt[i];
          }
        }
      }
      // Backward pass adds the tokens after t (no u term).
      std::fill(state.begin(), state.end(), 0.f);
      for (int64_t t = g1 - 1; t >= g0; --t) {
        const float *rt = R.row(t) + c0, *kt = K.row(t) + c0, *vt = V.row(t) + c0,
                    *wt = W.row(t) + c0;
        float* o = O.row(t) + c0;
        for (int64_t j = 0; j < hs; ++j) {
          const float e = std::exp(-std::exp(wt[j]));
          float* sj = state.data() + j * hs;
          for (int64_t i = 0; i < hs; ++i) {
            o[i] += rt[j] * sj[i];
            sj[i] = e * sj[i] + kt[j] * vt[i];
          }
        }
      }
    }
  }
}

}  // namespace lidardet::nn
