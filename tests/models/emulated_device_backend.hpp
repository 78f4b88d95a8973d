// A test backend that behaves like a device backend without a GPU: it runs the CPU ops, but
// every tensor it hands out is tagged Device::Cuda (host memory underneath). Tensor's host
// accessors (f32(), i32(), raw()) refuse device tensors, and every op here refuses an argument
// that is not a device tensor, as the CUDA backend does. A model that runs on it therefore reads
// device memory on the host only through explicit transfers (to_host, copy), and hands every
// op device memory. It also counts those transfers.
#pragma once
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "nn/backend.hpp"
#include "nn/cpu_backend.hpp"

namespace lidardet::test {

class EmulatedDeviceBackend final : public nn::Backend {
 public:
  using Tensor = nn::Tensor;
  using Act = nn::Act;

  EmulatedDeviceBackend() : arena_(nn::Device::Cuda, host_alloc, host_free) {}

  nn::Device device() const override { return nn::Device::Cuda; }
  const char* name() const override { return "emulated-device"; }
  nn::Arena& arena() override { return arena_; }

  // Transfers so far (tests assert that a frame makes no persistent upload).
  int uploads = 0, to_host_calls = 0, copies_in = 0, copies_out = 0;

  Tensor upload(const Tensor& host) override {
    if (host.device() == nn::Device::Cuda) return host;
    if (!host.contiguous()) throw Error("emulated upload: the host tensor must be contiguous");
    ++uploads;
    Tensor t = Tensor::empty(host.shape(), host.dtype());
    if (host.numel()) std::memcpy(t.raw(), host.raw(), host.numel() * nn::dtype_size(host.dtype()));
    return t.retagged(nn::Device::Cuda);
  }
  void copy(const Tensor& src, const Tensor& dst) override {
    copies_in += src.device() == nn::Device::Host && dst.device() == nn::Device::Cuda;
    copies_out += src.device() == nn::Device::Cuda && dst.device() == nn::Device::Host;
    cpu_.copy(src.retagged(nn::Device::Host), dst.retagged(nn::Device::Host));
  }
  Tensor to_host(const Tensor& t) override {
    ++to_host_calls;
    Tensor h = Tensor::empty(t.shape(), t.dtype());
    cpu_.copy(t.retagged(nn::Device::Host), h);
    return h;
  }

  void linear(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out, Act act,
              bool accumulate) override {
    cpu_.linear(d("linear", "x", x), d("linear", "w", w), opt("linear", "bias", bias),
                d("linear", "out", out), act, accumulate);
  }
  void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
              const Tensor& out, Act act) override {
    cpu_.conv2d(d("conv2d", "x", x), d("conv2d", "w", w), opt("conv2d", "bias", bias), stride, pad,
                d("conv2d", "out", out), act);
  }
  void conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int pad,
                        const Tensor& out, Act act) override {
    cpu_.conv_transpose2d(d("conv_transpose2d", "x", x), d("conv_transpose2d", "w", w),
                          opt("conv_transpose2d", "bias", bias), stride, pad,
                          d("conv_transpose2d", "out", out), act);
  }
  void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                  const Tensor& out) override {
    cpu_.layer_norm(d("layer_norm", "x", x), d("layer_norm", "gamma", gamma),
                    d("layer_norm", "beta", beta), eps, d("layer_norm", "out", out));
  }
  void group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta, float eps,
                  const Tensor& out) override {
    cpu_.group_norm(d("group_norm", "x", x), groups, d("group_norm", "gamma", gamma),
                    d("group_norm", "beta", beta), eps, d("group_norm", "out", out));
  }
  void activation(Act act, const Tensor& x, const Tensor& out) override {
    cpu_.activation(act, d("activation", "x", x), d("activation", "out", out));
  }
  void binary(nn::BinOp op, const Tensor& a, const Tensor& b, const Tensor& out) override {
    cpu_.binary(op, d("binary", "a", a), d("binary", "b", b), d("binary", "out", out));
  }
  void addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) override {
    cpu_.addcmul(d("addcmul", "a", a), d("addcmul", "b", b), d("addcmul", "c", c),
                 d("addcmul", "out", out));
  }
  void concat(const std::vector<Tensor>& parts, int dim, const Tensor& out) override {
    std::vector<Tensor> p;
    for (const Tensor& t : parts) p.push_back(d("concat", "part", t));
    cpu_.concat(p, dim, d("concat", "out", out));
  }
  void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) override {
    cpu_.topk(d("topk", "x", x), k, d("topk", "values", values), d("topk", "indices", indices));
  }
  void gather_rows(const Tensor& src, const Tensor& index, const Tensor& out) override {
    cpu_.gather_rows(d("gather_rows", "src", src), d("gather_rows", "index", index),
                     d("gather_rows", "out", out));
  }
  void scatter_reduce(const Tensor& src, const Tensor& index, nn::Reduce op,
                      const Tensor& out) override {
    cpu_.scatter_reduce(d("scatter_reduce", "src", src), d("scatter_reduce", "index", index), op,
                        d("scatter_reduce", "out", out));
  }
  void sparse_conv(const Tensor& features, const nn::Rulebook& rb, const Tensor& weight,
                   const Tensor& out) override {
    nn::Rulebook r = rb;
    r.in_index = d("sparse_conv", "rulebook.in_index", rb.in_index);
    r.out_index = d("sparse_conv", "rulebook.out_index", rb.out_index);
    cpu_.sparse_conv(d("sparse_conv", "features", features), r, d("sparse_conv", "weight", weight),
                     d("sparse_conv", "out", out));
  }
  void sparse_to_dense(const Tensor& features, const Tensor& coords, const Tensor& out) override {
    cpu_.sparse_to_dense(d("sparse_to_dense", "features", features),
                         d("sparse_to_dense", "coords", coords), d("sparse_to_dense", "out", out));
  }
  void group_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, int64_t group,
                       const Tensor& out) override {
    cpu_.group_attention(d("group_attention", "q", q), d("group_attention", "k", k),
                         d("group_attention", "v", v), heads, group,
                         d("group_attention", "out", out));
  }
  void causal_conv1d_silu(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group,
                          bool reverse, const Tensor& out) override {
    cpu_.causal_conv1d_silu(d("causal_conv1d_silu", "x", x), d("causal_conv1d_silu", "w", w),
                            d("causal_conv1d_silu", "b", b), group, reverse,
                            d("causal_conv1d_silu", "out", out));
  }
  void selective_scan(const nn::ScanArgs& a) override {
    const char* op = "selective_scan";
    nn::ScanArgs h = a;
    h.u = d(op, "u", a.u);
    h.delta = d(op, "delta", a.delta);
    h.delta_bias = d(op, "delta_bias", a.delta_bias);
    h.A = d(op, "A", a.A);
    h.B = d(op, "B", a.B);
    h.C = d(op, "C", a.C);
    h.D = d(op, "D", a.D);
    h.z = opt(op, "z", a.z);
    h.out = d(op, "out", a.out);
    cpu_.selective_scan(h);
  }
  void token_shift_diff(const Tensor& x, int64_t group, const Tensor& out) override {
    cpu_.token_shift_diff(d("token_shift_diff", "x", x), group, d("token_shift_diff", "out", out));
  }
  void wkv6(const Tensor& r, const Tensor& k, const Tensor& v, const Tensor& w, const Tensor& u,
            int heads, int64_t group, const Tensor& out) override {
    cpu_.wkv6(d("wkv6", "r", r), d("wkv6", "k", k), d("wkv6", "v", v), d("wkv6", "w", w),
              d("wkv6", "u", u), heads, group, d("wkv6", "out", out));
  }

 private:
  static void* host_alloc(std::size_t bytes) { return std::aligned_alloc(64, bytes); }
  static void host_free(void* p) { std::free(p); }

  // A device argument as the host view the CPU op reads; anything else is the model's bug.
  static Tensor d(const char* op, const char* arg, const Tensor& t) {
    if (!t.defined() || t.device() != nn::Device::Cuda)
      throw Error(std::string("emulated device: ") + op + ": argument '" + arg +
                  (t.defined() ? "' is in host memory" : "' is undefined"));
    return t.retagged(nn::Device::Host);
  }
  static Tensor opt(const char* op, const char* arg, const Tensor& t) {
    return t.defined() ? d(op, arg, t) : t;
  }

  nn::CpuBackend cpu_;
  nn::Arena arena_;
};

}  // namespace lidardet::test
