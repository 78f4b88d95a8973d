// CPU sequence ops over groups of tokens: attention, causal conv1d, Mamba selective scan,
// RWKV token shift and bidirectional WKV6. Loops run tokens strictly in order.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

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

namespace {

// exp for the scan's decay factors: split x*log2(e) = i + f, 2^f on [-1/2, 1/2] by a degree-5
// Chebyshev fit (relative error 1.1e-7), 2^i by exponent bits. Branch-free so that the state loop
// vectorises; deterministic (no dependence on vector width: every lane does the same ops).
inline float scan_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float t = x * 1.44269504088896341f;
  const float magic = 12582912.f;  // 1.5 * 2^23: adding it rounds to the nearest integer
  const float r = t + magic;
  const float fi = r - magic;
  const float f = t - fi;
  int32_t i;
  std::memcpy(&i, &r, sizeof(i));
  i -= 0x4B400000;  // bits of `magic`
  const float p =
      1.000000075f +
      f * (0.6931472067f + f * (0.2402210736f + f * (0.05550327214f +
                                                     f * (0.009676037098f + f * 0.001340043217f))));
  const int32_t bits = (i + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

// log(x) for x >= 1 (softplus): x = m 2^e with m in [sqrt(1/2), sqrt(2)), then the atanh
// series of log(m) = 2 atanh((m - 1) / (m + 1)); branch-free, relative error ~1e-7.
inline float scan_log(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  int32_t e = ((bits >> 23) & 0xFF) - 127;
  int32_t mbits = (bits & 0x7FFFFF) | 0x3F800000;
  float m;
  std::memcpy(&m, &mbits, sizeof(m));
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  const float s = (m - 1.f) / (m + 1.f), s2 = s * s;
  const float lm =
      2.f * s * (1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9)))));
  return lm + static_cast<float>(e) * 0.69314718056f;
}

inline float scan_softplus(float x) { return x > 20.f ? x : scan_log(1.f + scan_exp(x)); }
inline float scan_silu(float x) { return x / (1.f + scan_exp(-x)); }

struct ScanView {
  Rows U, Dl, O, Bm, Cm, Z;
  const float *A, *Dv, *db;
  int64_t S, group;
  bool has_z, reverse, accumulate;
};

// Channels [c0, c1) of every group. Channels are independent, so splitting them across threads
// does not change any result.
// Channels [c0, c1) of every group. The inner loops run over channels (state stored [S][nc]),
// so they vectorise with no horizontal sums, and each channel still sums its states in order
// n = 0..S-1. Channels are independent, so splitting them across threads changes no result.
[[gnu::always_inline]] inline void scan_channels(const ScanView& v, int64_t c0, int64_t c1) {
  const int64_t S = v.S, N = v.U.rows, nc = c1 - c0;
  std::vector<float> state(S * nc), At(S * nc), dtv(nc), du(nc), y(nc), gate(nc, 1.f);
  for (int64_t n = 0; n < S; ++n)
    for (int64_t c = 0; c < nc; ++c) At[n * nc + c] = v.A[(c0 + c) * S + n];
  for (int64_t g0 = 0; g0 < N; g0 += v.group) {
    const int64_t len = std::min(v.group, N - g0);
    std::fill(state.begin(), state.end(), 0.f);
    for (int64_t s = 0; s < len; ++s) {
      const int64_t t = v.reverse ? g0 + len - 1 - s : g0 + s;
      const float *u = v.U.row(t) + c0, *dl = v.Dl.row(t) + c0, *B = v.Bm.row(t), *C = v.Cm.row(t),
                  *db = v.db + c0;
      for (int64_t c = 0; c < nc; ++c) {
        dtv[c] = scan_softplus(dl[c] + db[c]);
        du[c] = dtv[c] * u[c];
        y[c] = 0.f;
      }
      if (v.has_z) {
        const float* z = v.Z.row(t) + c0;
        for (int64_t c = 0; c < nc; ++c) gate[c] = scan_silu(z[c]);
      }
      for (int64_t n = 0; n < S; ++n) {
        float* st = state.data() + n * nc;
        const float* a = At.data() + n * nc;
        const float bn = B[n], cn = C[n];
        for (int64_t c = 0; c < nc; ++c) {
          st[c] = scan_exp(dtv[c] * a[c]) * st[c] + du[c] * bn;
          y[c] += cn * st[c];
        }
      }
      float* o = v.O.row(t) + c0;
      const float* Dv = v.Dv + c0;
      for (int64_t c = 0; c < nc; ++c) {
        const float r = (y[c] + Dv[c] * u[c]) * gate[c];
        o[c] = v.accumulate ? o[c] + r : r;
      }
    }
  }
}

// Compiled for AVX2 and for the baseline, chosen at load time. Every lane does the same
// operations in the same order (no FMA contraction in ISO C++ mode), so both give the same bits.
__attribute__((target_clones("avx2", "default"))) void scan_range(const ScanView& v, int64_t c0,
                                                                  int64_t c1) {
  scan_channels(v, c0, c1);
}

}  // namespace

void CpuBackend::selective_scan(const ScanArgs& a) {
  const char* op = "selective_scan";
  check_group(op, a.group);
  ScanView v;
  v.U = rows_of(op, "u", a.u);
  v.Dl = rows_of(op, "delta", a.delta);
  v.O = rows_of(op, "out", a.out);
  v.Bm = rows_of(op, "B", a.B);
  v.Cm = rows_of(op, "C", a.C);
  same_shape_rows(op, v.U, v.Dl, "delta");
  same_shape_rows(op, v.U, v.O, "out");
  const int64_t N = v.U.rows, D = v.U.cols;
  expect_rank(op, "A", a.A, 2);
  v.S = a.A.dim(1);
  expect_shape(op, "A", a.A, {D, v.S});
  expect_shape(op, "D", a.D, {D});
  expect_shape(op, "delta_bias", a.delta_bias, {D});
  if (v.Bm.rows != N || v.Bm.cols != v.S || v.Cm.rows != N || v.Cm.cols != v.S)
    throw Error("nn::selective_scan: B and C must be [" + std::to_string(N) + ", " +
                std::to_string(v.S) + "]");
  v.has_z = a.z.defined();
  if (v.has_z) {
    v.Z = rows_of(op, "z", a.z);
    same_shape_rows(op, v.U, v.Z, "z");
  }
  v.A = a.A.f32();
  v.Dv = a.D.f32();
  v.db = a.delta_bias.f32();
  v.group = a.group;
  v.reverse = a.reverse;
  v.accumulate = a.accumulate;
  // Large scans split their channels over the hardware threads (results are identical).
  // LIDARDET_NN_THREADS caps the thread count (benchmarks measure one thread with it).
  int64_t hw = std::max(1u, std::thread::hardware_concurrency());
  if (const char* env = std::getenv("LIDARDET_NN_THREADS")) hw = std::max(1, std::atoi(env));
  const int64_t threads = std::min<int64_t>(D, N * D * v.S >= (1 << 20) ? hw : 1);
  if (threads <= 1) {
    scan_range(v, 0, D);
    return;
  }
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < threads; ++i)
    pool.emplace_back(scan_range, std::cref(v), D * i / threads, D * (i + 1) / threads);
  scan_range(v, 0, D / threads);
  for (auto& th : pool) th.join();
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
