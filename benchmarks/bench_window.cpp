// Window sorter speed: 40k voxels (the brief's layer size) sorted into all orders of one layer,
// on one thread: FlatFormer's four orders on its 468 x 468 pillar grid and LION's two orders on
// the Waymo 472 x 472 x 32 grid. The CUDA sorter runs where a device is present.
#include <benchmark/benchmark.h>

#include <random>
#include <set>

#include "window/window_sorter.hpp"
#ifdef LIDARDET_HAVE_CUDA
#include "core/device.hpp"
#include "window/cuda_window_sorter.hpp"
#endif

namespace {

using namespace lidardet;

// n distinct random voxels of one sample; pillars (z = 0) when z_cells == 1.
std::vector<std::int32_t> random_voxels(int n, int x_cells, int y_cells, int z_cells) {
  std::mt19937 rng(7);
  std::set<std::array<int, 3>> seen;
  std::vector<std::int32_t> out;
  while (int(seen.size()) < n) {
    const std::array<int, 3> c = {int(rng() % z_cells), int(rng() % y_cells), int(rng() % x_cells)};
    if (seen.insert(c).second) out.insert(out.end(), {0, c[0], c[1], c[2]});
  }
  return out;
}

FlatWindowConfig flat_config() {
  FlatWindowConfig c;
  c.grid = {468, 468};
  return c;
}
LionWindowConfig lion_config(int group) {
  LionWindowConfig c;
  c.window = {13, 13, 32};
  c.grid = {472, 472, 32};
  c.group_size = group;
  c.shift = true;
  return c;
}

void BM_FlatFormerOrders(benchmark::State& state) {
  const auto coords = random_voxels(int(state.range(0)), 468, 468, 1);
  FlatFormerOrders o;  // kept between frames, as a pipeline does
  WindowScratch scratch;
  for (auto _ : state) {
    flatformer_orders_into(o, scratch, coords, 1, flat_config(), 1);
    benchmark::DoNotOptimize(o.orders[3].gather.data());
  }
  state.counters["voxels"] = double(state.range(0));
}
BENCHMARK(BM_FlatFormerOrders)->Arg(20000)->Arg(40000)->Unit(benchmark::kMillisecond);

void BM_LionOrders(benchmark::State& state) {
  const auto coords = random_voxels(int(state.range(0)), 472, 472, 32);
  LionOrders o;
  WindowScratch scratch;
  for (auto _ : state) {
    lion_orders_into(o, scratch, coords, 1, lion_config(4096), 1);
    benchmark::DoNotOptimize(o.orders[1].gather.data());
  }
  state.counters["voxels"] = double(state.range(0));
}
BENCHMARK(BM_LionOrders)->Arg(40000)->Arg(100000)->Unit(benchmark::kMillisecond);

#ifdef LIDARDET_HAVE_CUDA
void BM_CudaFlatFormerOrders(benchmark::State& state) {
  if (!cuda::device_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const auto coords = random_voxels(40000, 468, 468, 1);
  cuda::CudaWindowSorter gpu;
  gpu.upload(coords, 1, 144);
  for (auto _ : state) gpu.run_flatformer(flat_config());
}
BENCHMARK(BM_CudaFlatFormerOrders)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_CudaLionOrders(benchmark::State& state) {
  if (!cuda::device_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const auto coords = random_voxels(40000, 472, 472, 32);
  cuda::CudaWindowSorter gpu;
  gpu.upload(coords, 1, 4096);
  for (auto _ : state) gpu.run_lion(lion_config(4096));
}
BENCHMARK(BM_CudaLionOrders)->Unit(benchmark::kMicrosecond)->UseRealTime();
#endif

}  // namespace
