// The CPU implementation of the op set: OpenBLAS sgemm for every matrix product, plain loops in
// a fixed order for everything else (bit-identical results run to run).
#pragma once
#include "nn/backend.hpp"

namespace lidardet::nn {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::Host; }
  const char* name() const override { return "cpu"; }
  Arena& arena() override { return arena_; }

  Tensor upload(const Tensor& host) override { return host; }
  void copy(const Tensor& src, const Tensor& dst) override;
  Tensor to_host(const Tensor& t) override { return t; }

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
  void binary(BinOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) override;
  void concat(const std::vector<Tensor>& parts, int dim, const Tensor& out) override;
  void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) override;

  void gather_rows(const Tensor& src, const Tensor& index, const Tensor& out) override;
  void scatter_reduce(const Tensor& src, const Tensor& index, Reduce op,
                      const Tensor& out) override;
  void sparse_conv(const Tensor& features, const Rulebook& rb, const Tensor& weight,
                   const Tensor& out) override;
  void sparse_to_dense(const Tensor& features, const Tensor& coords, const Tensor& out) override;

  void group_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t group,
                       const Tensor& out) override;
  void causal_conv1d_silu(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group,
                          bool reverse, const Tensor& out) override;
  void selective_scan(const ScanArgs& a) override;
  void token_shift_diff(const Tensor& x, int64_t group, const Tensor& out) override;
  void wkv6(const Tensor& r, const Tensor& k, const Tensor& v, const Tensor& w, const Tensor& u,
            int heads, int64_t group, const Tensor& out) override;

 private:
  Arena arena_;
};

}  // namespace lidardet::nn
