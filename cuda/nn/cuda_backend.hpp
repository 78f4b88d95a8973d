// The CUDA implementation of the nn op set (lib/nn/backend.hpp): cuBLAS for matrix products,
// kernels in nn_kernels.cu for the rest, all enqueued on one explicit stream. Tensors of this
// backend live in device memory; weights are uploaded once, scratch comes from a device arena.
#pragma once
#include <cuda_runtime.h>

#include "nn/backend.hpp"

namespace lidardet::cuda {

class CudaBackend final : public lidardet::nn::Backend {
 public:
  using Tensor = lidardet::nn::Tensor;
  using Act = lidardet::nn::Act;

  // Runs on `stream` (the default stream when null). Throws lidardet::Error without a device.
  explicit CudaBackend(cudaStream_t stream = nullptr);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  lidardet::nn::Device device() const override { return lidardet::nn::Device::Cuda; }
  const char* name() const override { return "cuda"; }
  lidardet::nn::Arena& arena() override { return arena_; }
  cudaStream_t stream() const { return stream_; }

  Tensor upload(const Tensor& host) override;
  void copy(const Tensor& src, const Tensor& dst) override;
  Tensor to_host(const Tensor& t) override;
  void synchronize() override;

  void linear(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
              Act act = Act::Identity, bool accumulate = false) override;
  void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
              const Tensor& out, Act act = Act::Identity) override;
  void conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
                        const Tensor& out, Act act = Act::Identity) override;
  void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                  const Tensor& out) override;
  void group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta, float eps,
                  const Tensor& out) override;
  void activation(Act act, const Tensor& x, const Tensor& out) override;
  void binary(lidardet::nn::BinOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) override;
  void concat(const std::vector<Tensor>& parts, int dim, const Tensor& out) override;
  void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) override;

  void gather_rows(const Tensor& src, const Tensor& index, const Tensor& out) override;
  void scatter_reduce(const Tensor& src, const Tensor& index, lidardet::nn::Reduce op,
                      const Tensor& out) override;
  void sparse_conv(const Tensor& features, const lidardet::nn::Rulebook& rb, const Tensor& weight,
                   const Tensor& out) override;
  void sparse_to_dense(const Tensor& features, const Tensor& coords, const Tensor& out) override;

  void group_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t group,
                       const Tensor& out) override;
  void causal_conv1d_silu(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group,
                          bool reverse, const Tensor& out) override;
  void selective_scan(const lidardet::nn::ScanArgs& a) override;
  void token_shift_diff(const Tensor& x, int64_t group, const Tensor& out) override;
  void wkv6(const Tensor& r, const Tensor& k, const Tensor& v, const Tensor& w, const Tensor& u,
            int heads, int64_t group, const Tensor& out) override;

 private:
  // Throws (and clears the word) when a kernel recorded an out-of-range index since the last
  // check; called by synchronize() and so by to_host(), never per operation.
  void raise_index_errors();
  // The convolutions' im2col/col2im buffer: one device buffer reused by every call (stream
  // order keeps uses apart) and grown to the largest request, so that a frame's many BEV
  // convolutions do not each take a (large) slice of the arena.
  Tensor col_scratch(const lidardet::nn::Shape& shape);
  // out[N,M] (+)= x[N,K] w[M,K]^T with arbitrary row strides (column-major cuBLAS call).
  void gemm_nt(int64_t n, int64_t m, int64_t k, const float* x, int64_t sx, const float* w,
               int64_t sw, float* out, int64_t so, float beta);

  cudaStream_t stream_ = nullptr;
  void* cublas_ = nullptr;  // cublasHandle_t
  int32_t* error_flag_ = nullptr;
  lidardet::nn::Arena arena_;
  Tensor col_;
};

}  // namespace lidardet::cuda
