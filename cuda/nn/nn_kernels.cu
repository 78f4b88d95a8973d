// CUDA kernels of the nn op set. Every reduction has a fixed order (no float atomics), so
// results are deterministic run to run; tests/cuda/test_nn_cuda.cpp compares them to the CPU.
#include <thrust/device_ptr.h>
#include <thrust/execution_policy.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <cub/device/device_radix_sort.cuh>

#include "nn/nn_kernels.hpp"

namespace lidardet::cuda::nn {

namespace {

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

__device__ inline float softplus20(float x) { return x > 20.f ? x : log1pf(expf(x)); }
__device__ inline float silu(float x) { return x / (1.f + expf(-x)); }

__device__ inline float act_fn(int a, float x) {
  switch (a) {
    case 1:
      return x > 0.f ? x : 0.f;
    case 2:
      return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case 3:
      return silu(x);
    case 4:
      return 1.f / (1.f + expf(-x));
    case 5:
      return tanhf(x);
    case 6:
      return softplus20(x);
    default:
      return x;
  }
}

__global__ void k_bias_act_rows(float* y, int64_t rows, int64_t cols, int64_t sy, const float* b,
                                int act) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, c = i % cols;
  float v = y[r * sy + c] + (b ? b[c] : 0.f);
  y[r * sy + c] = act_fn(act, v);
}

__global__ void k_bias_act_nchw(float* y, int64_t total, int64_t channels, int64_t plane,
                                const float* b, int act) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= total) return;
  int64_t c = (i / plane) % channels;
  y[i] = act_fn(act, y[i] + (b ? b[c] : 0.f));
}

__global__ void k_activation(const float* x, int64_t sx, float* y, int64_t sy, int64_t rows,
                             int64_t cols, int act) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, c = i % cols;
  y[r * sy + c] = act_fn(act, x[r * sx + c]);
}

__global__ void k_binary(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                         int64_t sy, int64_t rows, int64_t cols) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, c = i % cols;
  float av = a[r * sa + c], bv = b[r * sb + c];
  y[r * sy + c] = op == 0 ? av + bv : op == 1 ? av - bv : av * bv;
}

__global__ void k_addcmul(const float* a, int64_t sa, const float* b, int64_t sb, const float* c,
                          int64_t sc, float* y, int64_t sy, int64_t rows, int64_t cols) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, j = i % cols;
  y[r * sy + j] = a[r * sa + j] + b[r * sb + j] * c[r * sc + j];
}

__global__ void k_im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                         int stride, int pad, int64_t Ho, int64_t Wo, float* col) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t P = Ho * Wo;
  if (i >= C * kh * kw * P) return;
  int64_t p = i % P, row = i / P;
  int64_t kx = row % kw, ky = (row / kw) % kh, c = row / (kw * kh);
  int64_t oy = p / Wo, ox = p % Wo;
  int64_t iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
  col[i] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[(c * H + iy) * W + ix] : 0.f;
}

// One thread per output pixel, summing its contributions in (ky, kx) order.
__global__ void k_col2im_t(const float* col, int64_t O, int64_t H, int64_t W, int64_t kh,
                           int64_t kw, int stride, int pad, int64_t Ho, int64_t Wo, float* out) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= O * Ho * Wo) return;
  int64_t ox = i % Wo, oy = (i / Wo) % Ho, o = i / (Wo * Ho);
  float acc = 0.f;
  for (int64_t ky = 0; ky < kh; ++ky) {
    int64_t ny = oy + pad - ky;
    if (ny < 0 || ny % stride) continue;
    int64_t iy = ny / stride;
    if (iy >= H) continue;
    for (int64_t kx = 0; kx < kw; ++kx) {
      int64_t nx = ox + pad - kx;
      if (nx < 0 || nx % stride) continue;
      int64_t ix = nx / stride;
      if (ix >= W) continue;
      acc += col[((o * kh + ky) * kw + kx) * H * W + iy * W + ix];
    }
  }
  out[i] = acc;
}

// Mean and 1 / sqrt(variance + eps) of xr[0, n), computed by the whole block with fixed-shape
// tree reductions in shared memory (deterministic); every thread receives both.
__device__ void block_mean_rstd(const float* xr, int64_t n, float eps, float* red, float& mean,
                                float& inv) {
  float s = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += xr[i];
  red[threadIdx.x] = s;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  mean = red[0] / n;
  __syncthreads();
  float v = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) v += (xr[i] - mean) * (xr[i] - mean);
  red[threadIdx.x] = v;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  inv = rsqrtf(red[0] / n + eps);
}

// One block per row.
__global__ void k_layer_norm(const float* x, int64_t sx, float* y, int64_t sy, int64_t cols,
                             const float* g, const float* b, float eps) {
  __shared__ float red[kThreads];
  const float* xr = x + blockIdx.x * sx;
  float* yr = y + blockIdx.x * sy;
  float mean, inv;
  block_mean_rstd(xr, cols, eps, red, mean, inv);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    yr[c] = (xr[c] - mean) * inv * g[c] + b[c];
}

// One block per (sample, group).
__global__ void k_group_norm(const float* x, float* y, int64_t C, int64_t S, int groups,
                             const float* g, const float* b, float eps) {
  __shared__ float red[kThreads];
  const int64_t bi = blockIdx.x / groups, gi = blockIdx.x % groups, cg = C / groups, n = cg * S;
  const float* xr = x + (bi * C + gi * cg) * S;
  float* yr = y + (bi * C + gi * cg) * S;
  float mean, inv;
  block_mean_rstd(xr, n, eps, red, mean, inv);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int64_t c = gi * cg + i / S;
    yr[i] = (xr[i] - mean) * inv * g[c] + b[c];
  }
}

__global__ void k_gather_rows(const float* src, int64_t ss, const int32_t* index, float* out,
                              int64_t so, int64_t rows, int64_t cols, int32_t num_src, int32_t* bad,
                              int32_t code) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, c = i % cols;
  int32_t j = index[r];
  if (j < 0 || j >= num_src) {
    atomicCAS(bad, kIndexOk, code);
    return;
  }
  out[r * so + c] = src[j * ss + c];
}

__global__ void k_segment_reduce(const float* src, int64_t ss, const int32_t* perm,
                                 const int32_t* seg, float* out, int64_t so, int64_t rows_out,
                                 int64_t cols, int op) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows_out * cols) return;
  int64_t m = i / cols, c = i % cols;
  const int32_t b = seg[m], e = seg[m + 1];
  float acc = op == 2 ? -INFINITY : 0.f;
  for (int32_t p = b; p < e; ++p) {
    float v = src[int64_t(perm[p]) * ss + c];
    acc = op == 2 ? fmaxf(acc, v) : acc + v;
  }
  if (e == b)
    acc = 0.f;
  else if (op == 1)
    acc *= 1.f / float(e - b);
  out[m * so + c] = acc;
}

__global__ void k_scatter_add_rows(const float* src, int64_t cols, const int32_t* index, float* out,
                                   int64_t so, int64_t rows) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, c = i % cols;
  out[int64_t(index[r]) * so + c] += src[i];  // rows of one kernel offset never share a target
}

__global__ void k_sparse_to_dense(const float* f, int64_t sf, const int32_t* cd, int64_t n,
                                  int64_t C, int64_t B, int64_t Z, int64_t Y, int64_t X, float* out,
                                  int32_t* bad) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n * C) return;
  int64_t r = i / C, c = i % C;
  int64_t b = cd[4 * r], z = cd[4 * r + 1], y = cd[4 * r + 2], x = cd[4 * r + 3];
  if (b < 0 || b >= B || z < 0 || z >= Z || y < 0 || y >= Y || x < 0 || x >= X) {
    atomicCAS(bad, kIndexOk, kSparseToDenseCoords);
    return;
  }
  out[((b * C * Z + c * Z + z) * Y + y) * X + x] = f[r * sf + c];
}

// One thread per (token, head): online softmax over the keys of its group, head dim <= 128.
__global__ void k_group_attention(const float* q, int64_t sq, const float* k, int64_t sk,
                                  const float* v, int64_t sv, float* o, int64_t so, int64_t n,
                                  int64_t C, int heads, int64_t group) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n * heads) return;
  const int64_t t = i / heads, h = i % heads, dh = C / heads, c0 = h * dh;
  const int64_t g0 = (t / group) * group, g1 = min(n, g0 + group);
  const float scale = rsqrtf(float(dh));
  float acc[128];
  for (int64_t d = 0; d < dh; ++d) acc[d] = 0.f;
  float mx = -INFINITY, sum = 0.f;
  for (int64_t j = g0; j < g1; ++j) {
    float s = 0.f;
    for (int64_t d = 0; d < dh; ++d) s += q[t * sq + c0 + d] * k[j * sk + c0 + d];
    s *= scale;
    const float nm = fmaxf(mx, s), corr = expf(mx - nm), p = expf(s - nm);
    sum = sum * corr + p;
    for (int64_t d = 0; d < dh; ++d) acc[d] = acc[d] * corr + p * v[j * sv + c0 + d];
    mx = nm;
  }
  for (int64_t d = 0; d < dh; ++d) o[t * so + c0 + d] = acc[d] / sum;
}

__global__ void k_causal_conv1d_silu(const float* x, int64_t sx, const float* w, const float* b,
                                     float* y, int64_t sy, int64_t n, int64_t D, int64_t K,
                                     int64_t group, bool reverse) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n * D) return;
  const int64_t t = i / D, c = i % D, g0 = (t / group) * group, g1 = min(n, g0 + group);
  float acc = b[c];
  for (int64_t j = 0; j < K; ++j) {
    const int64_t src = reverse ? t + (K - 1 - j) : t - (K - 1 - j);
    if (src >= g0 && src < g1) acc += w[c * K + j] * x[src * sx + c];
  }
  y[t * sy + c] = silu(acc);
}

// One thread per (group, channel); the state lives in registers.
template <int MAXS>
__global__ void k_selective_scan(const float* u, int64_t su, const float* delta, int64_t sd,
                                 const float* db, const float* A, const float* Bm, int64_t sb,
                                 const float* Cm, int64_t sc, const float* D, const float* z,
                                 int64_t sz, float* out, int64_t so, int64_t n, int64_t Dn,
                                 int64_t S, int64_t group, bool reverse, bool accumulate) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t groups = (n + group - 1) / group;
  if (i >= groups * Dn) return;
  const int64_t g = i / Dn, c = i % Dn, g0 = g * group, len = min(group, n - g0);
  float st[MAXS], a[MAXS];
#pragma unroll
  for (int s = 0; s < MAXS; ++s) {
    st[s] = 0.f;
    a[s] = s < S ? A[c * S + s] : 0.f;
  }
  const float bias = db[c], dskip = D[c];
  for (int64_t step = 0; step < len; ++step) {
    const int64_t t = reverse ? g0 + len - 1 - step : g0 + step;
    const float uv = u[t * su + c], dt = softplus20(delta[t * sd + c] + bias), du = dt * uv;
    float y = 0.f;
#pragma unroll
    for (int s = 0; s < MAXS; ++s) {
      if (s < S) {
        st[s] = expf(dt * a[s]) * st[s] + du * Bm[t * sb + s];
        y += Cm[t * sc + s] * st[s];
      }
    }
    y += dskip * uv;
    if (z) y *= silu(z[t * sz + c]);
    out[t * so + c] = accumulate ? out[t * so + c] + y : y;
  }
}

__global__ void k_token_shift(const float* x, int64_t sx, float* y, int64_t sy, int64_t n,
                              int64_t C, int64_t group) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n * C) return;
  const int64_t t = i / C, c = i % C;
  const float prev = (t % group == 0) ? 0.f : x[(t - 1) * sx + c];
  y[t * sy + c] = prev - x[t * sx + c];
}

// One block per (group, head), one thread per output channel i; column i of the state in
// registers. Forward pass then backward pass, as on the CPU.
template <int MAXH>
__global__ void k_wkv6(const float* r, int64_t sr, const float* k, int64_t sk, const float* v,
                       int64_t sv, const float* w, int64_t sw, const float* u, float* o, int64_t so,
                       int64_t n, int64_t C, int heads, int64_t group) {
  const int64_t hs = C / heads, g = blockIdx.x / heads, h = blockIdx.x % heads;
  const int64_t g0 = g * group, g1 = min(n, g0 + group), c0 = h * hs, i = threadIdx.x;
  __shared__ float rs[MAXH], ks[MAXH], es[MAXH], us[MAXH];
  float st[MAXH];
  if (i < hs) us[i] = u[h * hs + i];
  for (int pass = 0; pass < 2; ++pass) {
#pragma unroll
    for (int j = 0; j < MAXH; ++j) st[j] = 0.f;
    for (int64_t step = 0; step < g1 - g0; ++step) {
      const int64_t t = pass == 0 ? g0 + step : g1 - 1 - step;
      __syncthreads();
      if (i < hs) {
        rs[i] = r[t * sr + c0 + i];
        ks[i] = k[t * sk + c0 + i];
        es[i] = expf(-expf(w[t * sw + c0 + i]));
      }
      __syncthreads();
      if (i < hs) {
        const float vi = v[t * sv + c0 + i];
        float y = 0.f;
#pragma unroll
        for (int j = 0; j < MAXH; ++j) {
          if (j < hs) {
            y += rs[j] * st[j] + (pass == 0 ? rs[j] * ks[j] * us[j] * vi : 0.f);
            st[j] = es[j] * st[j] + ks[j] * vi;
          }
        }
        float* op = o + t * so + c0 + i;
        *op = pass == 0 ? y : *op + y;
      }
    }
  }
}

__global__ void k_segment_starts(const int32_t* sorted_index, int64_t n, int64_t m, int32_t* seg,
                                 int32_t* bad) {
  int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (j > m) return;
  // The targets are sorted: only the smallest and the largest can be out of range.
  if (j == 0 && n > 0 && (sorted_index[0] < 0 || sorted_index[n - 1] >= m))
    atomicCAS(bad, kIndexOk, kScatterReduceIndex);
  // First position whose target is >= j (binary search in the sorted targets).
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (sorted_index[mid] < j)
      lo = mid + 1;
    else
      hi = mid;
  }
  seg[j] = static_cast<int32_t>(lo);
}

struct Greater {
  __device__ bool operator()(float a, float b) const { return a > b; }
};

}  // namespace

void bias_act_rows(float* y, int64_t rows, int64_t cols, int64_t sy, const float* bias, int act,
                   cudaStream_t s) {
  if (rows * cols == 0) return;
  k_bias_act_rows<<<blocks_for(rows * cols), kThreads, 0, s>>>(y, rows, cols, sy, bias, act);
}
void bias_act_nchw(float* y, int64_t batch, int64_t channels, int64_t plane, const float* bias,
                   int act, cudaStream_t s) {
  const int64_t total = batch * channels * plane;
  if (total == 0) return;
  k_bias_act_nchw<<<blocks_for(total), kThreads, 0, s>>>(y, total, channels, plane, bias, act);
}
void activation(const float* x, int64_t sx, float* y, int64_t sy, int64_t rows, int64_t cols,
                int act, cudaStream_t s) {
  if (rows * cols == 0) return;
  k_activation<<<blocks_for(rows * cols), kThreads, 0, s>>>(x, sx, y, sy, rows, cols, act);
}
void binary(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t sy,
            int64_t rows, int64_t cols, cudaStream_t s) {
  if (rows * cols == 0) return;
  k_binary<<<blocks_for(rows * cols), kThreads, 0, s>>>(op, a, sa, b, sb, y, sy, rows, cols);
}
void addcmul(const float* a, int64_t sa, const float* b, int64_t sb, const float* c, int64_t sc,
             float* y, int64_t sy, int64_t rows, int64_t cols, cudaStream_t s) {
  if (rows * cols == 0) return;
  k_addcmul<<<blocks_for(rows * cols), kThreads, 0, s>>>(a, sa, b, sb, c, sc, y, sy, rows, cols);
}
void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, int stride,
            int pad, int64_t Ho, int64_t Wo, float* col, cudaStream_t s) {
  const int64_t total = C * kh * kw * Ho * Wo;
  if (total == 0) return;
  k_im2col<<<blocks_for(total), kThreads, 0, s>>>(x, C, H, W, kh, kw, stride, pad, Ho, Wo, col);
}
void col2im_transposed(const float* col, int64_t O, int64_t H, int64_t W, int64_t kh, int64_t kw,
                       int stride, int pad, int64_t Ho, int64_t Wo, float* out, cudaStream_t s) {
  const int64_t total = O * Ho * Wo;
  if (total == 0) return;
  k_col2im_t<<<blocks_for(total), kThreads, 0, s>>>(col, O, H, W, kh, kw, stride, pad, Ho, Wo, out);
}
void layer_norm(const float* x, int64_t sx, float* y, int64_t sy, int64_t rows, int64_t cols,
                const float* g, const float* b, float eps, cudaStream_t s) {
  if (rows == 0) return;
  k_layer_norm<<<static_cast<unsigned>(rows), kThreads, 0, s>>>(x, sx, y, sy, cols, g, b, eps);
}
void group_norm(const float* x, float* y, int64_t B, int64_t C, int64_t S, int groups,
                const float* g, const float* b, float eps, cudaStream_t s) {
  if (B * groups == 0) return;
  k_group_norm<<<static_cast<unsigned>(B * groups), kThreads, 0, s>>>(x, y, C, S, groups, g, b,
                                                                      eps);
}
void gather_rows(const float* src, int64_t ss, const int32_t* index, float* out, int64_t so,
                 int64_t rows, int64_t cols, int32_t num_src, int32_t* bad, int32_t code,
                 cudaStream_t s) {
  if (rows * cols == 0) return;
  k_gather_rows<<<blocks_for(rows * cols), kThreads, 0, s>>>(src, ss, index, out, so, rows, cols,
                                                             num_src, bad, code);
}
void segment_reduce(const float* src, int64_t ss, const int32_t* perm, const int32_t* seg,
                    float* out, int64_t so, int64_t rows_out, int64_t cols, int op,
                    cudaStream_t s) {
  if (rows_out * cols == 0) return;
  k_segment_reduce<<<blocks_for(rows_out * cols), kThreads, 0, s>>>(src, ss, perm, seg, out, so,
                                                                    rows_out, cols, op);
}
void scatter_add_rows(const float* src, int64_t cols, const int32_t* index, float* out, int64_t so,
                      int64_t rows, cudaStream_t s) {
  if (rows * cols == 0) return;
  k_scatter_add_rows<<<blocks_for(rows * cols), kThreads, 0, s>>>(src, cols, index, out, so, rows);
}
void sparse_to_dense(const float* f, int64_t sf, const int32_t* coords, int64_t n, int64_t C,
                     int64_t B, int64_t Z, int64_t Y, int64_t X, float* out, int32_t* bad,
                     cudaStream_t s) {
  if (n * C == 0) return;
  k_sparse_to_dense<<<blocks_for(n * C), kThreads, 0, s>>>(f, sf, coords, n, C, B, Z, Y, X, out,
                                                           bad);
}
void group_attention(const float* q, int64_t sq, const float* k, int64_t sk, const float* v,
                     int64_t sv, float* o, int64_t so, int64_t n, int64_t C, int heads,
                     int64_t group, cudaStream_t s) {
  if (n == 0) return;
  k_group_attention<<<blocks_for(n * heads), 128, 0, s>>>(q, sq, k, sk, v, sv, o, so, n, C, heads,
                                                          group);
}
void causal_conv1d_silu(const float* x, int64_t sx, const float* w, const float* b, float* y,
                        int64_t sy, int64_t n, int64_t D, int64_t K, int64_t group, bool reverse,
                        cudaStream_t s) {
  if (n * D == 0) return;
  k_causal_conv1d_silu<<<blocks_for(n * D), kThreads, 0, s>>>(x, sx, w, b, y, sy, n, D, K, group,
                                                              reverse);
}
void selective_scan(const float* u, int64_t su, const float* delta, int64_t sd,
                    const float* delta_bias, const float* A, const float* Bm, int64_t sb,
                    const float* Cm, int64_t sc, const float* D, const float* z, int64_t sz,
                    float* out, int64_t so, int64_t n, int64_t Dn, int64_t S, int64_t group,
                    bool reverse, bool accumulate, cudaStream_t s) {
  const int64_t threads = ((n + group - 1) / group) * Dn;
  if (threads == 0) return;
  const unsigned blocks = static_cast<unsigned>((threads + 127) / 128);
  if (S <= 16)
    k_selective_scan<16><<<blocks, 128, 0, s>>>(u, su, delta, sd, delta_bias, A, Bm, sb, Cm, sc, D,
                                                z, sz, out, so, n, Dn, S, group, reverse,
                                                accumulate);
  else
    k_selective_scan<64><<<blocks, 128, 0, s>>>(u, su, delta, sd, delta_bias, A, Bm, sb, Cm, sc, D,
                                                z, sz, out, so, n, Dn, S, group, reverse,
                                                accumulate);
}
void token_shift_diff(const float* x, int64_t sx, float* y, int64_t sy, int64_t n, int64_t C,
                      int64_t group, cudaStream_t s) {
  if (n * C == 0) return;
  k_token_shift<<<blocks_for(n * C), kThreads, 0, s>>>(x, sx, y, sy, n, C, group);
}
void wkv6(const float* r, int64_t sr, const float* k, int64_t sk, const float* v, int64_t sv,
          const float* w, int64_t sw, const float* u, float* o, int64_t so, int64_t n, int64_t C,
          int heads, int64_t group, cudaStream_t s) {
  const int64_t groups = (n + group - 1) / group, hs = C / heads;
  if (groups == 0) return;
  const unsigned blocks = static_cast<unsigned>(groups * heads);
  if (hs <= 32)
    k_wkv6<32><<<blocks, 32, 0, s>>>(r, sr, k, sk, v, sv, w, sw, u, o, so, n, C, heads, group);
  else
    k_wkv6<64><<<blocks, 64, 0, s>>>(r, sr, k, sk, v, sv, w, sw, u, o, so, n, C, heads, group);
}
void topk(const float* x, int64_t n, int64_t k, float* values, int32_t* indices, cudaStream_t s) {
  if (n == 0) return;
  float* keys = nullptr;
  int32_t* idx = nullptr;
  cudaMallocAsync(&keys, n * sizeof(float), s);
  cudaMallocAsync(&idx, n * sizeof(int32_t), s);
  cudaMemcpyAsync(keys, x, n * sizeof(float), cudaMemcpyDeviceToDevice, s);
  thrust::sequence(thrust::cuda::par.on(s), idx, idx + n);
  thrust::stable_sort_by_key(thrust::cuda::par.on(s), keys, keys + n, idx, Greater());
  cudaMemcpyAsync(values, keys, k * sizeof(float), cudaMemcpyDeviceToDevice, s);
  cudaMemcpyAsync(indices, idx, k * sizeof(int32_t), cudaMemcpyDeviceToDevice, s);
  cudaFreeAsync(keys, s);
  cudaFreeAsync(idx, s);
}
namespace {
constexpr std::size_t kScratchAlign = 256;
std::size_t align_up(std::size_t b) {
  return (b + kScratchAlign - 1) / kScratchAlign * kScratchAlign;
}
std::size_t radix_temp_bytes(int64_t n) {
  std::size_t bytes = 0;
  cub::DeviceRadixSort::SortPairs(
      nullptr, bytes, static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr),
      static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr), static_cast<int>(n));
  return bytes;
}
__global__ void k_iota(int32_t* out, int64_t n) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = static_cast<int32_t>(i);
}
}  // namespace

std::size_t segments_scratch_bytes(int64_t n) {
  if (n <= 0) return 0;
  return 2 * align_up(std::size_t(n) * sizeof(int32_t)) + align_up(radix_temp_bytes(n));
}

void build_segments(const int32_t* index, int64_t n, int64_t m, int32_t* perm, int32_t* seg,
                    void* scratch, int32_t* bad, cudaStream_t s) {
  int32_t* keys = nullptr;
  if (n > 0) {
    // Radix sort over all 32 bits (signed keys order correctly), stable: rows of one target keep
    // their input order, the fixed reduction order of segment_reduce.
    char* p = static_cast<char*>(scratch);
    keys = reinterpret_cast<int32_t*>(p);
    int32_t* iota = reinterpret_cast<int32_t*>(p + align_up(std::size_t(n) * sizeof(int32_t)));
    void* temp = p + 2 * align_up(std::size_t(n) * sizeof(int32_t));
    std::size_t temp_bytes = radix_temp_bytes(n);
    k_iota<<<blocks_for(n), kThreads, 0, s>>>(iota, n);
    cub::DeviceRadixSort::SortPairs(temp, temp_bytes, index, keys, iota, perm, static_cast<int>(n),
                                    0, int(sizeof(int32_t) * 8), s);
  }
  k_segment_starts<<<blocks_for(m + 1), kThreads, 0, s>>>(keys, n, m, seg, bad);
}

}  // namespace lidardet::cuda::nn
