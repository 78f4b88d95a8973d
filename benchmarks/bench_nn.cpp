// Speed of the nn runtime's CPU backend (docs/perf/nn.md):
// - linear (our op) against raw cblas_sgemm at the models' GEMM shapes, in the same process;
// - the bidirectional selective scan of LION's Mamba (d_inner 128, d_state 16, 30k tokens in
//   groups of 4096), compared with PyTorch eager by tools/bench/bench_nn_torch.py;
// - submanifold conv 3x3x3, 64 channels, 40k voxels (voxels per second), compared with a dense
//   PyTorch conv3d over the same grid by the same script.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>
#include <set>

#include "nn/cpu_backend.hpp"
#include "nn/rulebook.hpp"

using namespace lidardet::nn;

namespace {

Tensor random_tensor(const Shape& s, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t = Tensor::empty(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = d(rng);
  return t;
}

// GEMM shapes (tokens, in, out) of the models: LION Mamba in_proj / x_proj / out_proj at
// d_model 64 over 30k tokens, FlatFormer qkv and FFN at C 128 over 20k tokens.
void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->Args({30000, 64, 256})->Args({30000, 128, 36})->Args({30000, 128, 64});
  b->Args({20000, 128, 384})->Args({20000, 128, 256})->Args({20000, 256, 128});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void BM_RawSgemm(benchmark::State& st) {
  const int64_t n = st.range(0), k = st.range(1), m = st.range(2);
  Tensor x = random_tensor({n, k}, 1), w = random_tensor({m, k}, 2), y = Tensor::empty({n, m});
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.f, x.f32(), k, w.f32(), k, 0.f,
                y.f32(), m);
    benchmark::DoNotOptimize(y.f32());
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * k * m * st.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawSgemm)->Apply(gemm_shapes);

void BM_Linear(benchmark::State& st) {
  CpuBackend be;
  const int64_t n = st.range(0), k = st.range(1), m = st.range(2);
  Tensor x = random_tensor({n, k}, 1), w = random_tensor({m, k}, 2), y = Tensor::empty({n, m});
  for (auto _ : st) {
    be.linear(x, w, Tensor(), y);
    benchmark::DoNotOptimize(y.f32());
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * k * m * st.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Linear)->Apply(gemm_shapes);

void BM_SelectiveScanBidirectional(benchmark::State& st) {
  CpuBackend be;
  const int64_t N = 30000, D = 128, S = 16, R = 4, G = 4096;
  Tensor u = random_tensor({N, D}, 3), delta = random_tensor({N, D}, 4, -4, 0),
         db = random_tensor({D}, 5, -1, 0), A = random_tensor({D, S}, 6, -8, -0.1f),
         xdbl = random_tensor({N, R + 2 * S}, 7), Dv = random_tensor({D}, 8),
         z = random_tensor({N, D}, 9), out = Tensor::empty({N, D});
  ScanArgs a{
      u,   delta, db,    A,    xdbl.slice(1, R, R + S), xdbl.slice(1, R + S, R + 2 * S), Dv, z,
      out, G,     false, false};
  for (auto _ : st) {
    a.reverse = false;
    a.accumulate = false;
    be.selective_scan(a);
    a.reverse = true;
    a.accumulate = true;
    be.selective_scan(a);
    benchmark::DoNotOptimize(out.f32());
  }
  st.counters["tokens/s"] =
      benchmark::Counter(double(N) * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SelectiveScanBidirectional)->Unit(benchmark::kMillisecond)->UseRealTime();

// 40k distinct voxels drawn uniformly from a (Z, Y, X) = (8, 200, 176) grid (14% occupied);
// tools/bench/bench_nn_torch.py runs its dense conv3d over the same grid.
Tensor voxel_coords(int64_t n) {
  std::mt19937 rng(10);
  std::set<int64_t> seen;
  std::vector<int32_t> v;
  while (static_cast<int64_t>(seen.size()) < n) {
    const int64_t key = rng() % (8 * 200 * 176);
    if (!seen.insert(key).second) continue;
    v.insert(v.end(),
             {0, int32_t(key / (200 * 176)), int32_t(key / 176 % 200), int32_t(key % 176)});
  }
  return Tensor::from_vector({n, 4}, v);
}

void BM_SubmConv3x3x3(benchmark::State& st) {
  CpuBackend be;
  const int64_t n = 40000, C = 64;
  Tensor coords = voxel_coords(n);
  Rulebook rb = build_subm_rulebook(be, coords, {8, 200, 176});
  Tensor f = random_tensor({n, C}, 11), w = random_tensor({C, 27, C}, 12),
         y = Tensor::empty({n, C});
  for (auto _ : st) {
    be.sparse_conv(f, rb, w, y);
    benchmark::DoNotOptimize(y.f32());
  }
  st.counters["voxels/s"] =
      benchmark::Counter(double(n) * st.iterations(), benchmark::Counter::kIsRate);
  st.counters["pairs"] = static_cast<double>(rb.offsets.back());
}
BENCHMARK(BM_SubmConv3x3x3)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SubmRulebookBuild(benchmark::State& st) {
  CpuBackend be;
  Tensor coords = voxel_coords(40000);
  for (auto _ : st) benchmark::DoNotOptimize(build_subm_rulebook(be, coords, {8, 200, 176}));
  st.counters["voxels/s"] =
      benchmark::Counter(40000.0 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SubmRulebookBuild)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
