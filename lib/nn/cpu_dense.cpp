// CPU dense ops: GEMM-based linear and convolutions, norms, elementwise ops, concat, top-k.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "nn/cpu_backend.hpp"
#include "nn/cpu_util.hpp"

namespace lidardet::nn {

namespace cpu {

void expect_host(const char* op, const char* arg, const Tensor& t) {
  if (t.device() != Device::Host)
    throw Error(std::string("nn::") + op + ": argument '" + arg + "' is not in host memory");
}

Rows rows_of(const char* op, const char* arg, const Tensor& t) {
  expect_host(op, arg, t);
  expect_dtype(op, arg, t, DType::F32);
  const RowLayout l = row_layout(std::string("nn::") + op, arg, t);
  return {t.f32(), l.rows, l.cols, l.stride};
}

// Scratch that grows to the largest request and is then reused (no steady-state allocation).
static float* scratch(std::vector<float>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

}  // namespace cpu

using namespace cpu;

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  if (src.shape() != dst.shape() || src.dtype() != dst.dtype())
    throw Error("nn::copy: " + shape_string(src.shape()) + " into " + shape_string(dst.shape()));
  expect_host("copy", "src", src);
  expect_host("copy", "dst", dst);
  if (src.dtype() == DType::F32) {
    Rows s = rows_of("copy", "src", src), d = rows_of("copy", "dst", dst);
    for (int64_t i = 0; i < s.rows; ++i) std::memcpy(d.row(i), s.row(i), s.cols * sizeof(float));
  } else {
    if (!src.contiguous() || !dst.contiguous())
      throw Error("nn::copy: index tensors must be contiguous");
    std::memcpy(dst.raw(), src.raw(), src.numel() * dtype_size(src.dtype()));
  }
}

void CpuBackend::linear(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                        Act act, bool accumulate) {
  Rows X = rows_of("linear", "x", x), O = rows_of("linear", "out", out);
  expect_rank("linear", "w", w, 2);
  Rows W = rows_of("linear", "w", w);
  const int64_t n = X.rows, k = X.cols, m = W.rows;
  if (W.cols != k || O.rows != n || O.cols != m)
    throw Error("nn::linear: x " + shape_string(x.shape()) + ", w " + shape_string(w.shape()) +
                ", out " + shape_string(out.shape()) + " do not match (out = x w^T)");
  const float* b = nullptr;
  if (bias.defined()) {
    expect_shape("linear", "bias", bias, {m});
    b = bias.f32();
  }
  if (n == 0 || m == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < n; ++i) std::fill(O.row(i), O.row(i) + m, 0.f);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.f, X.p, X.stride, W.p, W.stride,
                accumulate ? 1.f : 0.f, O.p, O.stride);
  }
  if (!b && (act == Act::Identity || accumulate)) return;
  for (int64_t i = 0; i < n; ++i) {
    float* o = O.row(i);
    if (b)
      for (int64_t j = 0; j < m; ++j) o[j] += b[j];
    if (!accumulate && act != Act::Identity)
      for (int64_t j = 0; j < m; ++j) o[j] = apply_act(act, o[j]);
  }
}

static void bias_act_nchw(float* o, const float* b, int64_t channels, int64_t plane, Act act) {
  for (int64_t c = 0; c < channels; ++c) {
    float* p = o + c * plane;
    const float bc = b ? b[c] : 0.f;
    for (int64_t i = 0; i < plane; ++i) p[i] = apply_act(act, p[i] + bc);
  }
}

void CpuBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
                        const Tensor& out, Act act) {
  expect_rank("conv2d", "x", x, 4);
  expect_rank("conv2d", "w", w, 4);
  expect_host("conv2d", "x", x);
  if (!x.contiguous() || !w.contiguous() || !out.contiguous())
    throw Error("nn::conv2d: tensors must be contiguous");
  if (stride < 1 || pad < 0) throw Error("nn::conv2d: stride must be >= 1 and pad >= 0");
  const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t O = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  if (w.dim(1) != C)
    throw Error("nn::conv2d: w " + shape_string(w.shape()) + " expects " +
                std::to_string(w.dim(1)) + " input channels, x has " + std::to_string(C));
  const int64_t Ho = (H + 2 * pad - kh) / stride + 1, Wo = (W + 2 * pad - kw) / stride + 1;
  expect_shape("conv2d", "out", out, {B, O, Ho, Wo});
  const float* b = bias.defined() ? bias.f32() : nullptr;
  if (b) expect_shape("conv2d", "bias", bias, {O});
  const int64_t K = C * kh * kw, P = Ho * Wo;
  thread_local std::vector<float> col_buf;
  const bool direct = kh == 1 && kw == 1 && stride == 1 && pad == 0;
  for (int64_t n = 0; n < B; ++n) {
    const float* xin = x.f32() + n * C * H * W;
    float* o = out.f32() + n * O * P;
    const float* col = xin;
    if (!direct) {
      float* c = scratch(col_buf, K * P);
      for (int64_t ci = 0; ci < C; ++ci)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            float* row = c + ((ci * kh + ky) * kw + kx) * P;
            for (int64_t oy = 0; oy < Ho; ++oy) {
              const int64_t iy = oy * stride - pad + ky;
              for (int64_t ox = 0; ox < Wo; ++ox) {
                const int64_t ix = ox * stride - pad + kx;
                row[oy * Wo + ox] =
                    (iy >= 0 && iy < H && ix >= 0 && ix < W) ? xin[(ci * H + iy) * W + ix] : 0.f;
              }
            }
          }
      col = c;
    }
    if (P > 0 && O > 0) {
      if (K > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, P, K, 1.f, w.f32(), K, col, P,
                    0.f, o, P);
      else
        std::fill(o, o + O * P, 0.f);
    }
    bias_act_nchw(o, b, O, P, act);
  }
}

void CpuBackend::conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                                  int pad, const Tensor& out, Act act) {
  expect_rank("conv_transpose2d", "x", x, 4);
  expect_rank("conv_transpose2d", "w", w, 4);
  if (!x.contiguous() || !w.contiguous() || !out.contiguous())
    throw Error("nn::conv_transpose2d: tensors must be contiguous");
  if (stride < 1 || pad < 0) throw Error("nn::conv_transpose2d: stride must be >= 1 and pad >= 0");
  const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t O = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  if (w.dim(0) != C)
    throw Error("nn::conv_transpose2d: w " + shape_string(w.shape()) + " expects " +
                std::to_string(w.dim(0)) + " input channels, x has " + std::to_string(C));
  const int64_t Ho = (H - 1) * stride - 2 * pad + kh, Wo = (W - 1) * stride - 2 * pad + kw;
  expect_shape("conv_transpose2d", "out", out, {B, O, Ho, Wo});
  const float* b = bias.defined() ? bias.f32() : nullptr;
  if (b) expect_shape("conv_transpose2d", "bias", bias, {O});
  const int64_t R = O * kh * kw, P = H * W;
  thread_local std::vector<float> col_buf;
  float* col = scratch(col_buf, R * P);
  for (int64_t n = 0; n < B; ++n) {
    const float* xin = x.f32() + n * C * P;
    float* o = out.f32() + n * O * Ho * Wo;
    std::fill(o, o + O * Ho * Wo, 0.f);
    if (R == 0 || P == 0) continue;
    if (C > 0)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, R, P, C, 1.f, w.f32(), R, xin, P, 0.f,
                  col, P);
    else
      std::fill(col, col + R * P, 0.f);
    for (int64_t oc = 0; oc < O; ++oc)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx) {
          const float* row = col + ((oc * kh + ky) * kw + kx) * P;
          for (int64_t iy = 0; iy < H; ++iy) {
            const int64_t oy = iy * stride - pad + ky;
            if (oy < 0 || oy >= Ho) continue;
            for (int64_t ix = 0; ix < W; ++ix) {
              const int64_t ox = ix * stride - pad + kx;
              if (ox >= 0 && ox < Wo) o[(oc * Ho + oy) * Wo + ox] += row[iy * W + ix];
            }
          }
        }
    bias_act_nchw(o, b, O, Ho * Wo, act);
  }
}

void CpuBackend::layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                            const Tensor& out) {
  Rows X = rows_of("layer_norm", "x", x), O = rows_of("layer_norm", "out", out);
  if (O.rows != X.rows || O.cols != X.cols)
    throw Error("nn::layer_norm: out " + shape_string(out.shape()) + " differs from x " +
                shape_string(x.shape()));
  expect_shape("layer_norm", "gamma", gamma, {X.cols});
  expect_shape("layer_norm", "beta", beta, {X.cols});
  const float *g = gamma.f32(), *b = beta.f32();
  const int64_t C = X.cols;
  for (int64_t i = 0; i < X.rows; ++i) {
    const float* xi = X.row(i);
    float* oi = O.row(i);
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += xi[c];
    const double mean = C ? s / C : 0;
    double v = 0;
    for (int64_t c = 0; c < C; ++c) v += (xi[c] - mean) * (xi[c] - mean);
    const double inv = 1.0 / std::sqrt((C ? v / C : 0) + eps);
    for (int64_t c = 0; c < C; ++c) oi[c] = static_cast<float>((xi[c] - mean) * inv) * g[c] + b[c];
  }
}

void CpuBackend::group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta,
                            float eps, const Tensor& out) {
  expect_rank("group_norm", "x", x, 3);
  expect_shape("group_norm", "out", out, x.shape());
  if (!x.contiguous() || !out.contiguous())
    throw Error("nn::group_norm: tensors must be contiguous");
  const int64_t B = x.dim(0), C = x.dim(1), S = x.dim(2);
  if (groups < 1 || C % groups)
    throw Error("nn::group_norm: " + std::to_string(C) + " channels in " + std::to_string(groups) +
                " groups");
  expect_shape("group_norm", "gamma", gamma, {C});
  expect_shape("group_norm", "beta", beta, {C});
  const int64_t cg = C / groups, n = cg * S;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t g = 0; g < groups; ++g) {
      const float* xi = x.f32() + (bi * C + g * cg) * S;
      float* oi = out.f32() + (bi * C + g * cg) * S;
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += xi[i];
      const double mean = n ? s / n : 0;
      double v = 0;
      for (int64_t i = 0; i < n; ++i) v += (xi[i] - mean) * (xi[i] - mean);
      const double inv = 1.0 / std::sqrt((n ? v / n : 0) + eps);
      for (int64_t c = 0; c < cg; ++c) {
        const float gc = gamma.f32()[g * cg + c], bc = beta.f32()[g * cg + c];
        for (int64_t s2 = 0; s2 < S; ++s2)
          oi[c * S + s2] = static_cast<float>((xi[c * S + s2] - mean) * inv) * gc + bc;
      }
    }
}

static void same_rows(const char* op, const Rows& a, const Rows& b, const char* name) {
  if (a.rows != b.rows || a.cols != b.cols)
    throw Error(std::string("nn::") + op + ": argument '" + name + "' is " +
                std::to_string(b.rows) + "x" + std::to_string(b.cols) + ", expected " +
                std::to_string(a.rows) + "x" + std::to_string(a.cols));
}

void CpuBackend::activation(Act act, const Tensor& x, const Tensor& out) {
  Rows X = rows_of("activation", "x", x), O = rows_of("activation", "out", out);
  same_rows("activation", X, O, "out");
  for (int64_t i = 0; i < X.rows; ++i) {
    const float* xi = X.row(i);
    float* oi = O.row(i);
    for (int64_t c = 0; c < X.cols; ++c) oi[c] = apply_act(act, xi[c]);
  }
}

// b either matches a (row for row) or is one [C] row broadcast to all rows.
static Rows broadcast_rows(const char* op, const char* name, const Tensor& t, const Rows& a) {
  Rows r = rows_of(op, name, t);
  if (t.rank() == 1 && r.cols == a.cols && a.rows != 1) {
    r.rows = a.rows;
    r.stride = 0;
  }
  same_rows(op, a, r, name);
  return r;
}

void CpuBackend::binary(BinOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  Rows A = rows_of("binary", "a", a), O = rows_of("binary", "out", out);
  Rows Bv = broadcast_rows("binary", "b", b, A);
  same_rows("binary", A, O, "out");
  for (int64_t i = 0; i < A.rows; ++i) {
    const float *ai = A.row(i), *bi = Bv.row(i);
    float* oi = O.row(i);
    switch (op) {
      case BinOp::Add:
        for (int64_t c = 0; c < A.cols; ++c) oi[c] = ai[c] + bi[c];
        break;
      case BinOp::Sub:
        for (int64_t c = 0; c < A.cols; ++c) oi[c] = ai[c] - bi[c];
        break;
      case BinOp::Mul:
        for (int64_t c = 0; c < A.cols; ++c) oi[c] = ai[c] * bi[c];
        break;
    }
  }
}

void CpuBackend::addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) {
  Rows A = rows_of("addcmul", "a", a), O = rows_of("addcmul", "out", out);
  Rows Bv = rows_of("addcmul", "b", b);
  same_rows("addcmul", A, Bv, "b");
  same_rows("addcmul", A, O, "out");
  Rows Cv = broadcast_rows("addcmul", "c", c, A);
  for (int64_t i = 0; i < A.rows; ++i) {
    const float *ai = A.row(i), *bi = Bv.row(i), *ci = Cv.row(i);
    float* oi = O.row(i);
    for (int64_t j = 0; j < A.cols; ++j) oi[j] = ai[j] + bi[j] * ci[j];
  }
}

void CpuBackend::concat(const std::vector<Tensor>& parts, int dim, const Tensor& out) {
  if (dim == 1) {
    Rows O = rows_of("concat", "out", out);
    int64_t col = 0;
    for (const Tensor& p : parts) {
      Rows P = rows_of("concat", "part", p);
      if (P.rows != O.rows || col + P.cols > O.cols)
        throw Error("nn::concat: part " + shape_string(p.shape()) + " does not fit out " +
                    shape_string(out.shape()) + " along dim 1");
      for (int64_t i = 0; i < P.rows; ++i) std::memcpy(O.row(i) + col, P.row(i), P.cols * 4);
      col += P.cols;
    }
    if (col != O.cols)
      throw Error("nn::concat: parts fill " + std::to_string(col) + " of " +
                  std::to_string(O.cols) + " columns");
  } else if (dim == 0) {
    if (!out.contiguous()) throw Error("nn::concat: out must be contiguous");
    std::size_t off = 0;
    const std::size_t esize = dtype_size(out.dtype());
    for (const Tensor& p : parts) {
      if (!p.contiguous() || p.dtype() != out.dtype())
        throw Error("nn::concat: parts must be contiguous and of out's dtype");
      const std::size_t bytes = p.numel() * esize;
      if (off + bytes > out.numel() * esize)
        throw Error("nn::concat: parts exceed out " + shape_string(out.shape()));
      std::memcpy(static_cast<char*>(out.raw()) + off, p.raw(), bytes);
      off += bytes;
    }
    if (off != out.numel() * esize) throw Error("nn::concat: parts do not fill out");
  } else {
    throw Error("nn::concat: dim must be 0 or 1, got " + std::to_string(dim));
  }
}

void CpuBackend::topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) {
  expect_rank("topk", "x", x, 1);
  const int64_t n = x.dim(0);
  if (k < 0 || k > n)
    throw Error("nn::topk: k = " + std::to_string(k) + " of " + std::to_string(n) + " values");
  expect_shape("topk", "values", values, {k});
  expect_shape("topk", "indices", indices, {k});
  expect_dtype("topk", "indices", indices, DType::I32);
  Rows X = rows_of("topk", "x", x);
  thread_local std::vector<int32_t> order;
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  const float* v = X.p;
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [v](int32_t a, int32_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  for (int64_t i = 0; i < k; ++i) {
    indices.i32()[i] = order[i];
    values.f32()[i] = v[order[i]];
  }
}

}  // namespace lidardet::nn
