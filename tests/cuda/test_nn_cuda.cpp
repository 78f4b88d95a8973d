// Every op of the CUDA nn backend against the CPU backend on the same random inputs (ggml-style
// backend testing). Skips without a CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "core/device.hpp"
#include "core/error.hpp"
#include "nn/cpu_backend.hpp"
#include "nn/cuda_backend.hpp"
#include "nn/nn_test_util.hpp"
#include "nn/rulebook.hpp"

using namespace lidardet::nn;
using lidardet::cuda::CudaBackend;
using lidardet::nn::test::random_tensor;

namespace {

double max_err(const Tensor& a, const Tensor& b) {
  std::vector<float> x = a.to_vector(), y = b.to_vector();
  EXPECT_EQ(x.size(), y.size());
  double m = 0;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    const double e = std::abs(double(x[i]) - y[i]) / (1.0 + std::abs(double(y[i])));
    m = std::isnan(e) ? INFINITY : std::max(m, e);
  }
  return m;
}

class NnCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lidardet::cuda::device_available())
      GTEST_SKIP() << "no CUDA device: " << lidardet::cuda::device_description();
    gpu = std::make_unique<CudaBackend>();
  }
  Tensor up(const Tensor& t) { return gpu->upload(t); }
  Tensor down(const Tensor& t) { return gpu->to_host(t); }
  Tensor dev(const Shape& s, DType d = DType::F32) { return up(Tensor::empty(s, d)); }
  CpuBackend cpu;
  std::unique_ptr<CudaBackend> gpu;
};

}  // namespace

TEST_F(NnCuda, LinearAndActivations) {
  Tensor x = random_tensor({37, 19}, 1), w = random_tensor({11, 19}, 2), b = random_tensor({11}, 3);
  for (Act act :
       {Act::Identity, Act::ReLU, Act::GELU, Act::SiLU, Act::Sigmoid, Act::Tanh, Act::Softplus}) {
    Tensor yc = Tensor::empty({37, 11}), yg = dev({37, 11});
    cpu.linear(x, w, b, yc, act);
    gpu->linear(up(x), up(w), up(b), yg, act);
    EXPECT_LT(max_err(down(yg), yc), 1e-5) << static_cast<int>(act);
  }
  // Strided column slices and accumulation.
  Tensor wide = random_tensor({37, 25}, 4), out = random_tensor({37, 14}, 5), outg = up(out);
  cpu.linear(wide.slice(1, 3, 22), w, Tensor(), out.slice(1, 2, 13), Act::Identity, true);
  gpu->linear(up(wide).slice(1, 3, 22), up(w), Tensor(), outg.slice(1, 2, 13), Act::Identity, true);
  EXPECT_LT(max_err(down(outg), out), 1e-5);
}

TEST_F(NnCuda, ConvolutionsAndNorms) {
  Tensor x = random_tensor({2, 5, 9, 7}, 6), w = random_tensor({4, 5, 3, 3}, 7),
         b = random_tensor({4}, 8);
  for (auto [s, p] : {std::pair{1, 1}, {2, 0}}) {
    const int64_t Ho = (9 + 2 * p - 3) / s + 1, Wo = (7 + 2 * p - 3) / s + 1;
    Tensor yc = Tensor::empty({2, 4, Ho, Wo}), yg = dev({2, 4, Ho, Wo});
    cpu.conv2d(x, w, b, s, p, yc, Act::ReLU);
    gpu->conv2d(up(x), up(w), up(b), s, p, yg, Act::ReLU);
    EXPECT_LT(max_err(down(yg), yc), 1e-5);
  }
  Tensor wt = random_tensor({5, 3, 2, 2}, 9), bt = random_tensor({3}, 10);
  Tensor tc = Tensor::empty({2, 3, 18, 14}), tg = dev({2, 3, 18, 14});
  cpu.conv_transpose2d(x, wt, bt, 2, 0, tc);
  gpu->conv_transpose2d(up(x), up(wt), up(bt), 2, 0, tg);
  EXPECT_LT(max_err(down(tg), tc), 1e-5);
  Tensor t = random_tensor({33, 24}, 11, -3, 4), g = random_tensor({24}, 12),
         be = random_tensor({24}, 13);
  Tensor lc = Tensor::empty({33, 24}), lg = dev({33, 24});
  cpu.layer_norm(t, g, be, 1e-5f, lc);
  gpu->layer_norm(up(t), up(g), up(be), 1e-5f, lg);
  EXPECT_LT(max_err(down(lg), lc), 1e-5);
  Tensor t3 = t.reshape({33, 24, 1}), gc = Tensor::empty({33, 24, 1}), gg = dev({33, 24, 1});
  cpu.group_norm(t3, 4, g, be, 1e-5f, gc);
  gpu->group_norm(up(t3), 4, up(g), up(be), 1e-5f, gg);
  EXPECT_LT(max_err(down(gg), gc), 1e-5);
}

TEST_F(NnCuda, ElementwiseConcatTopk) {
  Tensor a = random_tensor({7, 5}, 14), b = random_tensor({7, 5}, 15), v = random_tensor({5}, 16);
  for (BinOp op : {BinOp::Add, BinOp::Sub, BinOp::Mul}) {
    Tensor yc = Tensor::empty({7, 5}), yg = dev({7, 5});
    cpu.binary(op, a, v, yc);
    gpu->binary(op, up(a), up(v), yg);
    EXPECT_EQ(max_err(down(yg), yc), 0.0);
  }
  Tensor yc = Tensor::empty({7, 5}), yg = dev({7, 5});
  cpu.addcmul(a, b, v, yc);
  gpu->addcmul(up(a), up(b), up(v), yg);
  EXPECT_LT(max_err(down(yg), yc), 1e-6);
  Tensor cc = Tensor::empty({7, 10}), cg = dev({7, 10});
  cpu.concat({a, b}, 1, cc);
  gpu->concat({up(a), up(b)}, 1, cg);
  EXPECT_EQ(max_err(down(cg), cc), 0.0);
  Tensor x = Tensor::from_vector({6}, std::vector<float>{0.5f, 2, -1, 2, 7, 0.5f});
  Tensor vc = Tensor::empty({4}), ic = Tensor::empty({4}, DType::I32);
  Tensor vg = dev({4}), ig = dev({4}, DType::I32);
  cpu.topk(x, 4, vc, ic);
  gpu->topk(up(x), 4, vg, ig);
  EXPECT_EQ(down(vg).to_vector(), vc.to_vector());
  EXPECT_EQ(down(ig).to_vector(), ic.to_vector());
}

TEST_F(NnCuda, SparseOps) {
  Tensor src = random_tensor({50, 6}, 17);
  std::vector<int32_t> idx(50);
  for (int i = 0; i < 50; ++i) idx[i] = (i * 7) % 13;
  Tensor index = Tensor::from_vector({50}, idx);
  for (Reduce op : {Reduce::Sum, Reduce::Mean, Reduce::Max}) {
    Tensor oc = Tensor::empty({15, 6}), og = dev({15, 6});
    cpu.scatter_reduce(src, index, op, oc);
    gpu->scatter_reduce(up(src), up(index), op, og);
    EXPECT_LT(max_err(down(og), oc), 1e-6);
  }
  Tensor gc = Tensor::empty({50, 6}), gg = dev({50, 6});
  cpu.gather_rows(src, index, gc);
  gpu->gather_rows(up(src), up(index), gg);
  EXPECT_EQ(max_err(down(gg), gc), 0.0);
  // Submanifold conv through rulebooks built for each backend.
  std::vector<int32_t> coords;
  for (int i = 0; i < 40; ++i) coords.insert(coords.end(), {0, i % 4, (i * 3) % 7, (i * 5) % 9});
  Tensor c = Tensor::from_vector({40, 4}, coords);
  Rulebook rc = build_subm_rulebook(cpu, c, {4, 7, 9}),
           rg = build_subm_rulebook(*gpu, c, {4, 7, 9});
  Tensor f = random_tensor({40, 5}, 18), w = random_tensor({3, 27, 5}, 19);
  Tensor yc = Tensor::empty({40, 3}), yg = dev({40, 3});
  cpu.sparse_conv(f, rc, w, yc);
  gpu->sparse_conv(up(f), rg, up(w), yg);
  EXPECT_LT(max_err(down(yg), yc), 1e-5);
  Tensor dc = Tensor::empty({1, 10, 7, 9}), dg = dev({1, 10, 7, 9});
  cpu.sparse_to_dense(f, c, dc);
  gpu->sparse_to_dense(up(f), up(c), dg);
  EXPECT_EQ(max_err(down(dg), dc), 0.0);
}

// The ops' scratch (scatter_reduce's sort buffers, im2col) comes from the arena or a reused
// buffer: once warm, a frame (arena reset + the same ops) allocates no device memory.
TEST_F(NnCuda, WarmFramesAllocateNoDeviceMemory) {
  std::vector<int32_t> idx(20000);
  for (int i = 0; i < 20000; ++i) idx[i] = (i * 7919) % 5000;
  Tensor src = up(random_tensor({20000, 8}, 40)), index = up(Tensor::from_vector({20000}, idx));
  Tensor x = up(random_tensor({1, 8, 64, 64}, 41)), w = up(random_tensor({8, 8, 3, 3}, 42));
  std::size_t warm = 0;
  for (int frame = 0; frame < 3; ++frame) {
    gpu->arena().reset();
    Tensor o = gpu->alloc({5000, 8}), y = gpu->alloc({1, 8, 64, 64});
    gpu->scatter_reduce(src, index, Reduce::Sum, o);
    gpu->conv2d(x, w, Tensor(), 1, 1, y);
    gpu->synchronize();
    if (frame == 1) warm = gpu->arena().system_allocations();
  }
  EXPECT_EQ(gpu->arena().system_allocations(), warm);
  idx[3] = 5000;  // outside [0, 5000)
  Tensor bad = up(Tensor::from_vector({20000}, idx)), o = gpu->alloc({5000, 8});
  // Checked on the device without a per-call synchronisation: reported at the next one.
  gpu->scatter_reduce(src, bad, Reduce::Sum, o);
  EXPECT_THROW(gpu->synchronize(), lidardet::Error);
}

// Each index-checked op reports its own name at the next synchronisation (or to_host), the first
// failure wins, and the check is cleared afterwards so that the backend keeps working.
TEST_F(NnCuda, DeviceIndexErrorsSurfaceAtTheNextSynchronisation) {
  auto message = [&](const std::function<void()>& launch) {
    launch();
    try {
      gpu->synchronize();
    } catch (const lidardet::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Tensor src = up(random_tensor({10, 4}, 50)), out = gpu->alloc({3, 4});
  Tensor bad_rows = up(Tensor::from_vector({3}, std::vector<int32_t>{0, 10, 2}));
  Tensor bad_targets =
      up(Tensor::from_vector({10}, std::vector<int32_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, -1}));
  EXPECT_NE(message([&] { gpu->gather_rows(src, bad_rows, out); }).find("gather_rows"),
            std::string::npos);
  EXPECT_NE(message([&] {
              gpu->scatter_reduce(src, bad_targets, Reduce::Max, out);
            }).find("scatter_reduce"),
            std::string::npos);
  Tensor coords = up(Tensor::from_vector({2, 4}, std::vector<int32_t>{0, 0, 1, 1, 0, 0, 2, 5}));
  Tensor map = gpu->alloc({1, 4, 3, 5});
  EXPECT_NE(message([&] {
              gpu->sparse_to_dense(up(random_tensor({2, 4}, 51)), coords, map);
            }).find("sparse_to_dense"),
            std::string::npos);
  // Two failures before one synchronisation: the first is reported.
  const std::string first = message([&] {
    gpu->gather_rows(src, bad_rows, out);
    gpu->scatter_reduce(src, bad_targets, Reduce::Sum, out);
  });
  EXPECT_NE(first.find("gather_rows"), std::string::npos) << first;
  // Cleared: valid work afterwards synchronises and matches the CPU.
  Tensor good = Tensor::from_vector({3}, std::vector<int32_t>{9, 0, 4}),
         hsrc = random_tensor({10, 4}, 50);
  Tensor want = Tensor::empty({3, 4});
  cpu.gather_rows(hsrc, good, want);
  gpu->gather_rows(src, up(good), out);
  EXPECT_EQ(message([] {}), "no error");
  EXPECT_EQ(max_err(gpu->to_host(out), want), 0.0);
}

TEST_F(NnCuda, SequenceOps) {
  const int64_t N = 45, C = 16, G = 8;
  Tensor q = random_tensor({N, C}, 20), k = random_tensor({N, C}, 21),
         v = random_tensor({N, C}, 22), w = random_tensor({N, C}, 23, -3, 1);
  Tensor ac = Tensor::empty({N, C}), ag = dev({N, C});
  cpu.group_attention(q, k, v, 4, G, ac);
  gpu->group_attention(up(q), up(k), up(v), 4, G, ag);
  EXPECT_LT(max_err(down(ag), ac), 1e-5);
  Tensor u = random_tensor({4, 4}, 24);
  cpu.wkv6(q, k, v, w, u, 4, G, ac);
  gpu->wkv6(up(q), up(k), up(v), up(w), up(u), 4, G, ag);
  EXPECT_LT(max_err(down(ag), ac), 1e-4);
  cpu.token_shift_diff(q, G, ac);
  gpu->token_shift_diff(up(q), G, ag);
  EXPECT_EQ(max_err(down(ag), ac), 0.0);
  Tensor cw = random_tensor({C, 4}, 25), cb = random_tensor({C}, 26);
  for (bool rev : {false, true}) {
    cpu.causal_conv1d_silu(q, cw, cb, G, rev, ac);
    gpu->causal_conv1d_silu(up(q), up(cw), up(cb), G, rev, ag);
    EXPECT_LT(max_err(down(ag), ac), 1e-5);
  }
  const int64_t S = 16;
  Tensor delta = random_tensor({N, C}, 27, -3, 2), db = random_tensor({C}, 28),
         A = random_tensor({C, S}, 29, -4, -0.1f), bc = random_tensor({N, 2 * S}, 30),
         D = random_tensor({C}, 31);
  Tensor bcg = up(bc);
  for (bool rev : {false, true}) {
    cpu.selective_scan(
        {q, delta, db, A, bc.slice(1, 0, S), bc.slice(1, S, 2 * S), D, v, ac, G, rev, false});
    gpu->selective_scan({up(q), up(delta), up(db), up(A), bcg.slice(1, 0, S),
                         bcg.slice(1, S, 2 * S), up(D), up(v), ag, G, rev, false});
    EXPECT_LT(max_err(down(ag), ac), 1e-4) << rev;
  }
}
