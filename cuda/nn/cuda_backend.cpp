#include "nn/cuda_backend.hpp"

#include <cublas_v2.h>

#include <string>

#include "core/device.hpp"
#include "core/error.hpp"
#include "core/transfer.hpp"
#include "nn/nn_kernels.hpp"

namespace lidardet::cuda {

using lidardet::Error;
using namespace lidardet::nn;
namespace k = lidardet::cuda::nn;

namespace {

void* device_alloc(std::size_t bytes) {
  void* p = nullptr;
  return cudaMalloc(&p, bytes) == cudaSuccess ? p : nullptr;
}
void device_free(void* p) { cudaFree(p); }

struct DRows {
  float* p = nullptr;
  int64_t rows = 0, cols = 0, stride = 0;
};

void expect_device(const char* op, const char* arg, const Tensor& t) {
  if (t.device() != Device::Cuda)
    throw Error(std::string("nn::cuda::") + op + ": argument '" + arg +
                "' is not in device memory");
}

DRows rows_of(const char* op, const char* arg, const Tensor& t) {
  expect_device(op, arg, t);
  expect_dtype(op, arg, t, DType::F32);
  const RowLayout l = row_layout(std::string("nn::cuda::") + op, arg, t);
  return {static_cast<float*>(t.data_ptr()), l.rows, l.cols, l.stride};
}

void same(const char* op, const DRows& a, const DRows& b, const char* name) {
  if (a.rows != b.rows || a.cols != b.cols)
    throw Error(std::string("nn::cuda::") + op + ": argument '" + name + "' is " +
                std::to_string(b.rows) + "x" + std::to_string(b.cols) + ", expected " +
                std::to_string(a.rows) + "x" + std::to_string(a.cols));
}

DRows broadcast(const char* op, const char* name, const Tensor& t, const DRows& a) {
  DRows r = rows_of(op, name, t);
  if (t.rank() == 1 && r.cols == a.cols && a.rows != 1) {
    r.rows = a.rows;
    r.stride = 0;
  }
  same(op, a, r, name);
  return r;
}

// Device addresses (Tensor::f32() and friends are host accessors and refuse device tensors).
float* dptr(const Tensor& t) { return static_cast<float*>(t.data_ptr()); }

const float* fptr(const Tensor& t) {
  return t.defined() ? static_cast<const float*>(t.data_ptr()) : nullptr;
}

void check_cublas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw Error(std::string("cuBLAS error ") + std::to_string(static_cast<int>(s)) + " in " + what);
}

}  // namespace

CudaBackend::CudaBackend(cudaStream_t stream)
    : stream_(stream), arena_(Device::Cuda, device_alloc, device_free) {
  if (!device_available()) throw Error("nn::cuda: " + device_description());
  cublasHandle_t h = nullptr;
  check_cublas(cublasCreate(&h), "cublasCreate");
  check_cublas(cublasSetStream(h, stream_), "cublasSetStream");
  cublas_ = h;
  check(cudaMalloc(&error_flag_, sizeof(int32_t)), "cudaMalloc");
  check(cudaMemset(error_flag_, 0, sizeof(int32_t)), "cudaMemset");
}

CudaBackend::~CudaBackend() {
  if (cublas_) cublasDestroy(static_cast<cublasHandle_t>(cublas_));
  if (error_flag_) cudaFree(error_flag_);
}

void CudaBackend::synchronize() {
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  raise_index_errors();
}

void CudaBackend::raise_index_errors() {
  // The stream is idle here: reading the word costs one small copy, not a pipeline drain.
  const int32_t code = download_value(error_flag_, "cudaMemcpy");
  if (code == k::kIndexOk) return;
  check(cudaMemset(error_flag_, 0, sizeof(int32_t)), "cudaMemset");
  const char* op =
      code == k::kGatherRowsIndex   ? "gather_rows: an index is outside the source rows"
      : code == k::kSparseConvIndex ? "sparse_conv: a rulebook input index is outside the features"
      : code == k::kSparseToDenseCoords ? "sparse_to_dense: a coordinate is outside the output map"
      : code == k::kScatterReduceIndex  ? "scatter_reduce: an index is outside the output rows"
                                        : "an operation recorded an unknown error code";
  throw Error(std::string("nn::cuda::") + op +
              " (checked on the device, reported at the next synchronisation)");
}

namespace {
// A persistent device tensor of its own (cudaMalloc; freed with its last view).
Tensor device_tensor(const Shape& shape, DType dtype) {
  auto st = std::make_shared<Storage>();
  st->bytes = std::max<std::size_t>(1, shape_numel(shape) * dtype_size(dtype));
  st->device = Device::Cuda;
  check(cudaMalloc(&st->data, st->bytes), "cudaMalloc");
  st->deleter = device_free;
  return Tensor::over(st, 0, shape, dtype);
}
}  // namespace

Tensor CudaBackend::col_scratch(const Shape& shape) {
  const int64_t n = std::max<int64_t>(1, shape_numel(shape));
  if (!col_.defined() || col_.numel() < n) {
    col_ = Tensor();  // cudaFree synchronises the device: no kernel still reads the old buffer
    col_ = device_tensor({n}, DType::F32);
  }
  return col_.slice(0, 0, shape_numel(shape)).reshape(shape);
}

Tensor CudaBackend::upload(const Tensor& host) {
  if (host.device() == Device::Cuda) return host;
  if (!host.contiguous()) throw Error("nn::cuda::upload: the host tensor must be contiguous");
  Tensor t = device_tensor(host.shape(), host.dtype());
  if (host.numel())
    check(cudaMemcpyAsync(t.data_ptr(), host.data_ptr(), host.numel() * dtype_size(host.dtype()),
                          cudaMemcpyHostToDevice, stream_),
          "upload");
  synchronize();  // the host tensor may be temporary
  return t;
}

void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  if (src.shape() != dst.shape() || src.dtype() != dst.dtype())
    throw Error("nn::cuda::copy: " + shape_string(src.shape()) + " into " +
                shape_string(dst.shape()));
  const std::size_t es = dtype_size(src.dtype());
  auto pitch = [&](const Tensor& t, int64_t& rows, int64_t& cols, int64_t& stride) {
    if (t.contiguous()) {
      cols = t.rank() ? t.dim(-1) : 1;
      rows = cols ? t.numel() / cols : 0;
      stride = cols;
    } else if (t.row_major_2d()) {
      rows = t.dim(0);
      cols = t.dim(1);
      stride = t.row_stride();
    } else {
      throw Error("nn::cuda::copy: tensors must be contiguous or 2-D with contiguous rows");
    }
  };
  int64_t r1, c1, s1, r2, c2, s2;
  pitch(src, r1, c1, s1);
  pitch(dst, r2, c2, s2);
  if (r1 * c1 == 0) return;
  check(cudaMemcpy2DAsync(dst.data_ptr(), s2 * es, src.data_ptr(), s1 * es, c1 * es, r1,
                          cudaMemcpyDefault, stream_),
        "copy");
}

Tensor CudaBackend::to_host(const Tensor& t) {
  Tensor h = Tensor::empty(t.shape(), t.dtype());
  copy(t, h);
  synchronize();
  return h;
}

void CudaBackend::gemm_nt(int64_t n, int64_t m, int64_t kk, const float* x, int64_t sx,
                          const float* w, int64_t sw, float* out, int64_t so, float beta) {
  // Row-major out[n,m] = x[n,k] w[m,k]^T is column-major out^T[m,n] = w (k x m)^T x^T (k x n).
  const float alpha = 1.f;
  check_cublas(
      cublasSgemm(static_cast<cublasHandle_t>(cublas_), CUBLAS_OP_T, CUBLAS_OP_N,
                  static_cast<int>(m), static_cast<int>(n), static_cast<int>(kk), &alpha, w,
                  static_cast<int>(sw), x, static_cast<int>(sx), &beta, out, static_cast<int>(so)),
      "sgemm");
}

void CudaBackend::linear(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                         Act act, bool accumulate) {
  DRows X = rows_of("linear", "x", x), W = rows_of("linear", "w", w),
        O = rows_of("linear", "out", out);
  if (W.cols != X.cols || O.rows != X.rows || O.cols != W.rows)
    throw Error("nn::cuda::linear: x " + shape_string(x.shape()) + ", w " +
                shape_string(w.shape()) + ", out " + shape_string(out.shape()) +
                " do not match (out = x w^T)");
  if (bias.defined()) expect_shape("linear", "bias", bias, {W.rows});
  if (X.rows == 0 || W.rows == 0) return;
  if (X.cols == 0) {
    if (!accumulate)
      check(cudaMemset2DAsync(O.p, O.stride * 4, 0, O.cols * 4, O.rows, stream_), "memset");
  } else {
    gemm_nt(X.rows, W.rows, X.cols, X.p, X.stride, W.p, W.stride, O.p, O.stride,
            accumulate ? 1.f : 0.f);
  }
  if (bias.defined() || (!accumulate && act != Act::Identity))
    k::bias_act_rows(O.p, O.rows, O.cols, O.stride, fptr(bias),
                     accumulate ? 0 : static_cast<int>(act), stream_);
}

void CudaBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
                         const Tensor& out, Act act) {
  expect_rank("conv2d", "x", x, 4);
  expect_rank("conv2d", "w", w, 4);
  expect_device("conv2d", "x", x);
  if (!x.contiguous() || !w.contiguous() || !out.contiguous())
    throw Error("nn::cuda::conv2d: tensors must be contiguous");
  if (stride < 1 || pad < 0) throw Error("nn::cuda::conv2d: stride must be >= 1 and pad >= 0");
  const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), O = w.dim(0), kh = w.dim(2),
                kw = w.dim(3);
  if (w.dim(1) != C)
    throw Error("nn::cuda::conv2d: w " + shape_string(w.shape()) + " vs x " +
                shape_string(x.shape()));
  const int64_t Ho = (H + 2 * pad - kh) / stride + 1, Wo = (W + 2 * pad - kw) / stride + 1;
  expect_shape("conv2d", "out", out, {B, O, Ho, Wo});
  const int64_t K = C * kh * kw, P = Ho * Wo;
  Tensor col = col_scratch({K, P});
  for (int64_t n = 0; n < B; ++n) {
    const float* xin = fptr(x) + n * C * H * W;
    float* o = static_cast<float*>(out.data_ptr()) + n * O * P;
    k::im2col(xin, C, H, W, kh, kw, stride, pad, Ho, Wo, dptr(col), stream_);
    // Row-major o[O,P] = w[O,K] col[K,P]: column-major o^T = col^T w^T.
    const float alpha = 1.f, beta = 0.f;
    if (O * P > 0)
      check_cublas(cublasSgemm(static_cast<cublasHandle_t>(cublas_), CUBLAS_OP_N, CUBLAS_OP_N,
                               static_cast<int>(P), static_cast<int>(O), static_cast<int>(K),
                               &alpha, dptr(col), static_cast<int>(P), fptr(w), static_cast<int>(K),
                               &beta, o, static_cast<int>(P)),
                   "conv2d sgemm");
  }
  k::bias_act_nchw(static_cast<float*>(out.data_ptr()), B, O, P, fptr(bias), static_cast<int>(act),
                   stream_);
}

void CudaBackend::conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride,
                                   int pad, const Tensor& out, Act act) {
  expect_rank("conv_transpose2d", "x", x, 4);
  expect_rank("conv_transpose2d", "w", w, 4);
  expect_device("conv_transpose2d", "x", x);
  if (!x.contiguous() || !w.contiguous() || !out.contiguous())
    throw Error("nn::cuda::conv_transpose2d: tensors must be contiguous");
  if (stride < 1 || pad < 0)
    throw Error("nn::cuda::conv_transpose2d: stride must be >= 1 and pad >= 0");
  const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), O = w.dim(1), kh = w.dim(2),
                kw = w.dim(3);
  if (w.dim(0) != C)
    throw Error("nn::cuda::conv_transpose2d: w " + shape_string(w.shape()) + " vs x " +
                shape_string(x.shape()));
  const int64_t Ho = (H - 1) * stride - 2 * pad + kh, Wo = (W - 1) * stride - 2 * pad + kw;
  expect_shape("conv_transpose2d", "out", out, {B, O, Ho, Wo});
  const int64_t R = O * kh * kw, P = H * W;
  Tensor col = col_scratch({R, P});
  for (int64_t n = 0; n < B; ++n) {
    // Row-major col[R,P] = w[C,R]^T x[C,P]: column-major col^T = x^T w.
    const float alpha = 1.f, beta = 0.f;
    if (R * P > 0)
      check_cublas(cublasSgemm(static_cast<cublasHandle_t>(cublas_), CUBLAS_OP_N, CUBLAS_OP_T,
                               static_cast<int>(P), static_cast<int>(R), static_cast<int>(C),
                               &alpha, fptr(x) + n * C * P, static_cast<int>(P), fptr(w),
                               static_cast<int>(R), &beta, dptr(col), static_cast<int>(P)),
                   "conv_transpose2d sgemm");
    k::col2im_transposed(dptr(col), O, H, W, kh, kw, stride, pad, Ho, Wo,
                         static_cast<float*>(out.data_ptr()) + n * O * Ho * Wo, stream_);
  }
  k::bias_act_nchw(static_cast<float*>(out.data_ptr()), B, O, Ho * Wo, fptr(bias),
                   static_cast<int>(act), stream_);
}

void CudaBackend::layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                             const Tensor& out) {
  DRows X = rows_of("layer_norm", "x", x), O = rows_of("layer_norm", "out", out);
  same("layer_norm", X, O, "out");
  expect_shape("layer_norm", "gamma", gamma, {X.cols});
  expect_shape("layer_norm", "beta", beta, {X.cols});
  k::layer_norm(X.p, X.stride, O.p, O.stride, X.rows, X.cols, fptr(gamma), fptr(beta), eps,
                stream_);
}

void CudaBackend::group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta,
                             float eps, const Tensor& out) {
  expect_rank("group_norm", "x", x, 3);
  expect_shape("group_norm", "out", out, x.shape());
  expect_device("group_norm", "x", x);
  if (!x.contiguous() || !out.contiguous())
    throw Error("nn::cuda::group_norm: tensors must be contiguous");
  const int64_t C = x.dim(1);
  if (groups < 1 || C % groups)
    throw Error("nn::cuda::group_norm: " + std::to_string(C) + " channels in " +
                std::to_string(groups) + " groups");
  expect_shape("group_norm", "gamma", gamma, {C});
  expect_shape("group_norm", "beta", beta, {C});
  k::group_norm(fptr(x), static_cast<float*>(out.data_ptr()), x.dim(0), C, x.dim(2), groups,
                fptr(gamma), fptr(beta), eps, stream_);
}

void CudaBackend::activation(Act act, const Tensor& x, const Tensor& out) {
  DRows X = rows_of("activation", "x", x), O = rows_of("activation", "out", out);
  same("activation", X, O, "out");
  k::activation(X.p, X.stride, O.p, O.stride, X.rows, X.cols, static_cast<int>(act), stream_);
}

void CudaBackend::binary(BinOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  DRows A = rows_of("binary", "a", a), O = rows_of("binary", "out", out);
  DRows Bv = broadcast("binary", "b", b, A);
  same("binary", A, O, "out");
  k::binary(static_cast<int>(op), A.p, A.stride, Bv.p, Bv.stride, O.p, O.stride, A.rows, A.cols,
            stream_);
}

void CudaBackend::addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) {
  DRows A = rows_of("addcmul", "a", a), Bv = rows_of("addcmul", "b", b),
        O = rows_of("addcmul", "out", out);
  same("addcmul", A, Bv, "b");
  same("addcmul", A, O, "out");
  DRows Cv = broadcast("addcmul", "c", c, A);
  k::addcmul(A.p, A.stride, Bv.p, Bv.stride, Cv.p, Cv.stride, O.p, O.stride, A.rows, A.cols,
             stream_);
}

void CudaBackend::concat(const std::vector<Tensor>& parts, int dim, const Tensor& out) {
  if (dim == 1) {
    DRows O = rows_of("concat", "out", out);
    int64_t col = 0;
    for (const Tensor& p : parts) {
      DRows P = rows_of("concat", "part", p);
      if (P.rows != O.rows || col + P.cols > O.cols)
        throw Error("nn::cuda::concat: part " + shape_string(p.shape()) + " does not fit out " +
                    shape_string(out.shape()));
      if (P.rows * P.cols)
        check(cudaMemcpy2DAsync(O.p + col, O.stride * 4, P.p, P.stride * 4, P.cols * 4, P.rows,
                                cudaMemcpyDeviceToDevice, stream_),
              "concat");
      col += P.cols;
    }
    if (col != O.cols) throw Error("nn::cuda::concat: parts do not fill out");
  } else if (dim == 0) {
    expect_device("concat", "out", out);
    if (!out.contiguous()) throw Error("nn::cuda::concat: out must be contiguous");
    const std::size_t es = dtype_size(out.dtype());
    std::size_t off = 0;
    for (const Tensor& p : parts) {
      if (!p.contiguous() || p.dtype() != out.dtype())
        throw Error("nn::cuda::concat: parts must be contiguous and of out's dtype");
      const std::size_t bytes = p.numel() * es;
      if (off + bytes > out.numel() * es) throw Error("nn::cuda::concat: parts exceed out");
      if (bytes)
        check(cudaMemcpyAsync(static_cast<char*>(out.data_ptr()) + off, p.data_ptr(), bytes,
                              cudaMemcpyDefault, stream_),
              "concat");
      off += bytes;
    }
    if (off != out.numel() * es) throw Error("nn::cuda::concat: parts do not fill out");
  } else {
    throw Error("nn::cuda::concat: dim must be 0 or 1");
  }
}

void CudaBackend::topk(const Tensor& x, int64_t kk, const Tensor& values, const Tensor& indices) {
  expect_rank("topk", "x", x, 1);
  expect_device("topk", "x", x);
  const int64_t n = x.dim(0);
  if (kk < 0 || kk > n)
    throw Error("nn::cuda::topk: k = " + std::to_string(kk) + " of " + std::to_string(n));
  expect_shape("topk", "values", values, {kk});
  expect_shape("topk", "indices", indices, {kk});
  expect_dtype("topk", "indices", indices, DType::I32);
  if (!x.contiguous()) throw Error("nn::cuda::topk: x must be contiguous");
  k::topk(fptr(x), n, kk, static_cast<float*>(values.data_ptr()),
          static_cast<int32_t*>(indices.data_ptr()), stream_);
}

void CudaBackend::gather_rows(const Tensor& src, const Tensor& index, const Tensor& out) {
  DRows S = rows_of("gather_rows", "src", src), O = rows_of("gather_rows", "out", out);
  if (S.cols != O.cols) throw Error("nn::cuda::gather_rows: out and src differ in columns");
  expect_shape("gather_rows", "index", index, {O.rows});
  expect_dtype("gather_rows", "index", index, DType::I32);
  expect_device("gather_rows", "index", index);
  k::gather_rows(S.p, S.stride, static_cast<const int32_t*>(index.data_ptr()), O.p, O.stride,
                 O.rows, O.cols, static_cast<int32_t>(S.rows), error_flag_, k::kGatherRowsIndex,
                 stream_);
}

void CudaBackend::scatter_reduce(const Tensor& src, const Tensor& index, Reduce op,
                                 const Tensor& out) {
  DRows S = rows_of("scatter_reduce", "src", src), O = rows_of("scatter_reduce", "out", out);
  if (S.cols != O.cols) throw Error("nn::cuda::scatter_reduce: out and src differ in columns");
  expect_shape("scatter_reduce", "index", index, {S.rows});
  expect_dtype("scatter_reduce", "index", index, DType::I32);
  expect_device("scatter_reduce", "index", index);
  Tensor perm = arena_.alloc({S.rows}, DType::I32), seg = arena_.alloc({O.rows + 1}, DType::I32);
  // Sort scratch from the arena too: no cudaMalloc per frame.
  const int64_t words = int64_t((k::segments_scratch_bytes(S.rows) + 3) / 4);
  Tensor scratch = arena_.alloc({words}, DType::I32);
  k::build_segments(static_cast<const int32_t*>(index.data_ptr()), S.rows, O.rows,
                    static_cast<int32_t*>(perm.data_ptr()), static_cast<int32_t*>(seg.data_ptr()),
                    scratch.data_ptr(), error_flag_, stream_);
  k::segment_reduce(S.p, S.stride, static_cast<const int32_t*>(perm.data_ptr()),
                    static_cast<const int32_t*>(seg.data_ptr()), O.p, O.stride, O.rows, O.cols,
                    static_cast<int>(op), stream_);
}

void CudaBackend::sparse_conv(const Tensor& features, const Rulebook& rb, const Tensor& weight,
                              const Tensor& out) {
  DRows F = rows_of("sparse_conv", "features", features), O = rows_of("sparse_conv", "out", out);
  expect_rank("sparse_conv", "weight", weight, 3);
  expect_device("sparse_conv", "weight", weight);
  const int64_t Co = weight.dim(0), K = weight.dim(1), Ci = weight.dim(2);
  if (K != rb.kernel_volume || Ci != F.cols || Co != O.cols || F.rows != rb.num_in ||
      O.rows != rb.num_out)
    throw Error("nn::cuda::sparse_conv: features " + shape_string(features.shape()) + ", weight " +
                shape_string(weight.shape()) + ", out " + shape_string(out.shape()) +
                " do not match the rulebook");
  if (rb.num_out * Co)
    check(cudaMemset2DAsync(O.p, O.stride * 4, 0, Co * 4, O.rows, stream_), "memset");
  int64_t maxp = 0;
  for (int64_t kk = 0; kk < K; ++kk) maxp = std::max(maxp, rb.offsets[kk + 1] - rb.offsets[kk]);
  Tensor gathered = arena_.alloc({maxp, Ci}), product = arena_.alloc({maxp, Co});
  const int32_t* in_idx = static_cast<const int32_t*>(rb.in_index.data_ptr());
  const int32_t* out_idx = static_cast<const int32_t*>(rb.out_index.data_ptr());
  for (int64_t kk = 0; kk < K; ++kk) {
    const int64_t p0 = rb.offsets[kk], np = rb.offsets[kk + 1] - p0;
    if (np == 0) continue;
    k::gather_rows(F.p, F.stride, in_idx + p0, dptr(gathered), Ci, np, Ci,
                   static_cast<int32_t>(F.rows), error_flag_, k::kSparseConvIndex, stream_);
    gemm_nt(np, Co, Ci, dptr(gathered), Ci, fptr(weight) + kk * Ci, K * Ci, dptr(product), Co, 0.f);
    k::scatter_add_rows(dptr(product), Co, out_idx + p0, O.p, O.stride, np, stream_);
  }
}

void CudaBackend::sparse_to_dense(const Tensor& features, const Tensor& coords, const Tensor& out) {
  DRows F = rows_of("sparse_to_dense", "features", features);
  expect_shape("sparse_to_dense", "coords", coords, {F.rows, 4});
  expect_dtype("sparse_to_dense", "coords", coords, DType::I32);
  expect_device("sparse_to_dense", "coords", coords);
  expect_rank("sparse_to_dense", "out", out, 4);
  expect_device("sparse_to_dense", "out", out);
  const int64_t C = F.cols, CZ = out.dim(1);
  if (C == 0 || CZ % C)
    throw Error("nn::cuda::sparse_to_dense: out channels are not a multiple of the features'");
  check(cudaMemsetAsync(out.data_ptr(), 0, out.numel() * 4, stream_), "memset");
  k::sparse_to_dense(F.p, F.stride, static_cast<const int32_t*>(coords.data_ptr()), F.rows, C,
                     out.dim(0), CZ / C, out.dim(2), out.dim(3),
                     static_cast<float*>(out.data_ptr()), error_flag_, stream_);
}

void CudaBackend::group_attention(const Tensor& q, const Tensor& kt, const Tensor& v, int heads,
                                  int64_t group, const Tensor& out) {
  if (group < 1) throw Error("nn::cuda::group_attention: group size must be >= 1");
  DRows Q = rows_of("group_attention", "q", q), K = rows_of("group_attention", "k", kt),
        V = rows_of("group_attention", "v", v), O = rows_of("group_attention", "out", out);
  same("group_attention", Q, K, "k");
  same("group_attention", Q, V, "v");
  same("group_attention", Q, O, "out");
  if (heads < 1 || Q.cols % heads || Q.cols / heads > 128)
    throw Error("nn::cuda::group_attention: " + std::to_string(Q.cols) + " channels in " +
                std::to_string(heads) + " heads (head size at most 128)");
  k::group_attention(Q.p, Q.stride, K.p, K.stride, V.p, V.stride, O.p, O.stride, Q.rows, Q.cols,
                     heads, group, stream_);
}

void CudaBackend::causal_conv1d_silu(const Tensor& x, const Tensor& w, const Tensor& b,
                                     int64_t group, bool reverse, const Tensor& out) {
  if (group < 1) throw Error("nn::cuda::causal_conv1d_silu: group size must be >= 1");
  DRows X = rows_of("causal_conv1d_silu", "x", x), O = rows_of("causal_conv1d_silu", "out", out);
  same("causal_conv1d_silu", X, O, "out");
  expect_rank("causal_conv1d_silu", "w", w, 2);
  expect_shape("causal_conv1d_silu", "w", w, {X.cols, w.dim(1)});
  expect_shape("causal_conv1d_silu", "b", b, {X.cols});
  k::causal_conv1d_silu(X.p, X.stride, fptr(w), fptr(b), O.p, O.stride, X.rows, X.cols, w.dim(1),
                        group, reverse, stream_);
}

void CudaBackend::selective_scan(const ScanArgs& a) {
  const char* op = "selective_scan";
  if (a.group < 1) throw Error("nn::cuda::selective_scan: group size must be >= 1");
  DRows U = rows_of(op, "u", a.u), Dl = rows_of(op, "delta", a.delta),
        O = rows_of(op, "out", a.out), Bm = rows_of(op, "B", a.B), Cm = rows_of(op, "C", a.C);
  same(op, U, Dl, "delta");
  same(op, U, O, "out");
  expect_rank(op, "A", a.A, 2);
  const int64_t S = a.A.dim(1);
  if (S > 64) throw Error("nn::cuda::selective_scan: d_state at most 64");
  expect_shape(op, "A", a.A, {U.cols, S});
  expect_shape(op, "D", a.D, {U.cols});
  expect_shape(op, "delta_bias", a.delta_bias, {U.cols});
  if (Bm.rows != U.rows || Bm.cols != S || Cm.rows != U.rows || Cm.cols != S)
    throw Error("nn::cuda::selective_scan: B and C must be [N, d_state]");
  DRows Z;
  if (a.z.defined()) {
    Z = rows_of(op, "z", a.z);
    same(op, U, Z, "z");
  }
  k::selective_scan(U.p, U.stride, Dl.p, Dl.stride, fptr(a.delta_bias), fptr(a.A), Bm.p, Bm.stride,
                    Cm.p, Cm.stride, fptr(a.D), Z.p, Z.stride, O.p, O.stride, U.rows, U.cols, S,
                    a.group, a.reverse, a.accumulate, stream_);
}

void CudaBackend::token_shift_diff(const Tensor& x, int64_t group, const Tensor& out) {
  if (group < 1) throw Error("nn::cuda::token_shift_diff: group size must be >= 1");
  DRows X = rows_of("token_shift_diff", "x", x), O = rows_of("token_shift_diff", "out", out);
  same("token_shift_diff", X, O, "out");
  k::token_shift_diff(X.p, X.stride, O.p, O.stride, X.rows, X.cols, group, stream_);
}

void CudaBackend::wkv6(const Tensor& r, const Tensor& kt, const Tensor& v, const Tensor& w,
                       const Tensor& u, int heads, int64_t group, const Tensor& out) {
  const char* op = "wkv6";
  if (group < 1) throw Error("nn::cuda::wkv6: group size must be >= 1");
  DRows R = rows_of(op, "r", r), K = rows_of(op, "k", kt), V = rows_of(op, "v", v),
        W = rows_of(op, "w", w), O = rows_of(op, "out", out);
  same(op, R, K, "k");
  same(op, R, V, "v");
  same(op, R, W, "w");
  same(op, R, O, "out");
  if (heads < 1 || R.cols % heads || R.cols / heads > 64)
    throw Error("nn::cuda::wkv6: " + std::to_string(R.cols) + " channels in " +
                std::to_string(heads) + " heads (head size at most 64)");
  expect_shape(op, "u", u, {heads, R.cols / heads});
  k::wkv6(R.p, R.stride, K.p, K.stride, V.p, V.stride, W.p, W.stride, fptr(u), O.p, O.stride,
          R.rows, R.cols, heads, group, stream_);
}

}  // namespace lidardet::cuda
