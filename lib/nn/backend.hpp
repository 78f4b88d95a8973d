// Backend: the op set every model is written against. Each backend (CPU here, CUDA in
// cuda/nn) implements every op; tests compare each backend op with the CPU one.
// Conventions:
// - Ops write into `out`, which the caller allocated (usually from the backend's arena), so an
//   op never allocates. 2-D arguments may have strided rows (a column slice of a wider tensor).
// - Token sequences are [N, C] row-major, cut into consecutive groups of `group` tokens; the
//   last group may be shorter (N need not be a multiple of group). Recurrences and attention
//   never cross a group boundary.
// - Every reduction has a fixed order, so results are bit-identical run to run.
#pragma once
#include <vector>

#include "nn/arena.hpp"
#include "nn/tensor.hpp"

namespace lidardet::nn {

enum class Act { Identity, ReLU, GELU, SiLU, Sigmoid, Tanh, Softplus };
enum class BinOp { Add, Sub, Mul };
enum class Reduce { Sum, Mean, Max };

// Gather-GEMM-scatter pairs of a sparse convolution, grouped by kernel offset k:
// pairs offsets[k]..offsets[k+1] read input row in_index[p] and add into output row out_index[p].
struct Rulebook {
  int64_t kernel_volume = 0;
  int64_t num_in = 0, num_out = 0;
  std::vector<int64_t> offsets;  // host, kernel_volume + 1
  Tensor in_index, out_index;    // I32 [P] on the backend's device
};

// Arguments of the selective scan of one Mamba direction (lion.md §3.1), per channel c:
//   dt_t = softplus(delta[t,c] + delta_bias[c])            (identity above 20)
//   s_t[n] = exp(dt_t * A[c,n]) * s_{t-1}[n] + dt_t * B[t,n] * u[t,c],  s reset at each group
//   y_t = sum_n C[t,n] * s_t[n] + D[c] * u[t,c];  if z: y_t *= silu(z[t,c])
//   out[t,c] (+)= y_t        (+= when accumulate)
// reverse runs every group from its last token to its first.
struct ScanArgs {
  Tensor u, delta, delta_bias, A, B, C, D, z, out;
  int64_t group = 0;
  bool reverse = false;
  bool accumulate = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual const char* name() const = 0;

  // Per-frame scratch memory on this backend's device.
  virtual Arena& arena() = 0;
  Tensor alloc(const Shape& s, DType t = DType::F32) { return arena().alloc(s, t); }

  // Persistent copy of a host tensor on this device (weights); the CPU backend returns it as is.
  virtual Tensor upload(const Tensor& host) = 0;
  // Per-frame copy of a host tensor into this device's arena (index lists built on the host
  // every frame): no system allocation in steady state, unlike upload(). A host backend
  // returns `host` itself, so borrowed host memory must outlive the frame's use of it.
  Tensor upload_frame(const Tensor& host) {
    if (device() == Device::Host && host.device() == Device::Host) return host;
    Tensor t = alloc(host.shape(), host.dtype());
    copy(host, t);
    return t;
  }
  // Copies into an existing tensor of the same shape; either side may be host or device.
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  virtual Tensor to_host(const Tensor& t) = 0;
  // Waits for the queued work. A device backend checks index ranges (gather_rows, scatter_reduce,
  // sparse_conv, sparse_to_dense) on the device and throws the first such error here or in
  // to_host(), not in the call that met it; nothing is written out of bounds meanwhile.
  virtual void synchronize() {}

  // ---- dense ----
  // out[N,M] (+)= act(x[N,K] * w[M,K]^T + bias[M]); bias may be undefined. act applies after
  // accumulation only when accumulate is false.
  virtual void linear(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                      Act act = Act::Identity, bool accumulate = false) = 0;
  // NCHW cross-correlation; w [O, C, kh, kw].
  virtual void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
                      const Tensor& out, Act act = Act::Identity) = 0;
  // Transposed conv (PyTorch ConvTranspose2d); w [C, O, kh, kw].
  virtual void conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                                int pad, const Tensor& out, Act act = Act::Identity) = 0;
  // Over the last dim of [N, C].
  virtual void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                          const Tensor& out) = 0;
  // x [B, C, S] (S = spatial size, 1 for tokens), `groups` channel groups, affine per channel.
  virtual void group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta,
                          float eps, const Tensor& out) = 0;
  virtual void activation(Act act, const Tensor& x, const Tensor& out) = 0;
  // out = a op b; b has a's shape or is a [C] vector broadcast over the rows of [N, C].
  virtual void binary(BinOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // out = a + b * c; c has b's shape or is [C].
  virtual void addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) = 0;
  // Concatenation of 2-D [N, Ci] parts along dim 1, or of parts along dim 0.
  virtual void concat(const std::vector<Tensor>& parts, int dim, const Tensor& out) = 0;
  // The k largest of x [N]: values descending, ties by lower index; indices I32.
  virtual void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) = 0;

  // ---- sparse ----
  // out[i] = src[index[i]].
  virtual void gather_rows(const Tensor& src, const Tensor& index, const Tensor& out) = 0;
  // out[m] = reduce over {i : index[i] == m} of src[i]; rows with no source are 0.
  virtual void scatter_reduce(const Tensor& src, const Tensor& index, Reduce op,
                              const Tensor& out) = 0;
  // out[M, O] = sum over rulebook pairs of features[in] * W_k^T; weight [O, K, Cin] (spconv 2.x
  // KRSC (out, kz, ky, kx, in) flattened).
  virtual void sparse_conv(const Tensor& features, const Rulebook& rb, const Tensor& weight,
                           const Tensor& out) = 0;
  // Dense BEV map out [B, C*Z, Y, X] (zeros elsewhere) from features [N, C] at coords [N, 4]
  // (b, z, y, x), channel c*Z + z (OpenPCDet HeightCompression; Z = 1 is a pillar scatter).
  virtual void sparse_to_dense(const Tensor& features, const Tensor& coords, const Tensor& out) = 0;

  // ---- sequences in groups ----
  // Multi-head softmax attention within each group; q, k, v, out [N, C], C % heads == 0.
  virtual void group_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads,
                               int64_t group, const Tensor& out) = 0;
  // Depthwise conv1d over time with taps w [D, K], causal (reads t-K+1..t, zeros before the
  // group start) or anti-causal when reverse, plus bias and SiLU.
  virtual void causal_conv1d_silu(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group,
                                  bool reverse, const Tensor& out) = 0;
  virtual void selective_scan(const ScanArgs& a) = 0;
  // out_t = x_{t-1} - x_t, with x_{-1} = 0 at every group start (RWKV token shift).
  virtual void token_shift_diff(const Tensor& x, int64_t group, const Tensor& out) = 0;
  // Bidirectional WKV6 (lion.md §3.2): r, k, v, w [N, C] with decay exp(-exp(w)), u [H, C/H].
  virtual void wkv6(const Tensor& r, const Tensor& k, const Tensor& v, const Tensor& w,
                    const Tensor& u, int heads, int64_t group, const Tensor& out) = 0;
};

}  // namespace lidardet::nn
