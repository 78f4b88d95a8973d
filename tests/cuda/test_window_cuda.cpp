// CUDA window sorter against the CPU sorter, bit for bit. Skipped without a CUDA device.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "core/device.hpp"
#include "core/error.hpp"
#include "window/cuda_window_sorter.hpp"

using namespace lidardet;

namespace {

std::vector<std::int32_t> random_coords(std::uint32_t seed, std::vector<int> per_sample,
                                        std::array<int, 3> grid) {
  std::mt19937 rng(seed);
  std::set<std::array<int, 4>> seen;
  for (int b = 0; b < int(per_sample.size()); ++b)
    for (int have = 0; have < per_sample[b];)
      have +=
          seen.insert({b, int(rng() % grid[2]), int(rng() % grid[1]), int(rng() % grid[0])}).second;
  std::vector<std::array<int, 4>> v(seen.begin(), seen.end());
  std::shuffle(v.begin(), v.end(), rng);
  std::vector<std::int32_t> out;
  for (auto& r : v) out.insert(out.end(), r.begin(), r.end());
  return out;
}

void expect_same(const WindowOrder& a, const WindowOrder& b) {
  EXPECT_EQ(a.keys, b.keys);
  EXPECT_EQ(a.perm, b.perm);
  EXPECT_EQ(a.inverse, b.inverse);
  EXPECT_EQ(a.gather, b.gather);
  EXPECT_EQ(a.scatter, b.scatter);
}

}  // namespace

TEST(CudaWindowSorter, FlatFormerMatchesCpu) {
  if (!cuda::device_available()) GTEST_SKIP() << "no CUDA device: " << cuda::device_description();
  FlatWindowConfig c;
  c.grid = {468, 468};
  const auto coords = random_coords(4, {20000, 0, 100, 40000}, {468, 468, 1});
  const FlatFormerOrders cpu = flatformer_orders(coords, 4, c);
  cuda::CudaWindowSorter gpu;
  gpu.upload(coords, 4, c.group_size);
  const FlatFormerOrders g = gpu.flatformer(c);
  EXPECT_EQ(g.mapping.flat2win, cpu.mapping.flat2win);
  for (int k = 0; k < 4; ++k) expect_same(g.orders[k], cpu.orders[k]);
}

TEST(CudaWindowSorter, LionMatchesCpuForEveryGroupSize) {
  if (!cuda::device_available()) GTEST_SKIP() << "no CUDA device: " << cuda::device_description();
  const auto coords = random_coords(5, {30000, 7, 0}, {472, 472, 32});
  for (int g : {4096, 2048, 1024, 512, 256}) {
    LionWindowConfig c;
    c.window = {13, 13, 32};
    c.grid = {472, 472, 32};
    c.group_size = g;
    c.shift = g != 4096;
    const LionOrders cpu = lion_orders(coords, 3, c);
    cuda::CudaWindowSorter gpu;
    gpu.upload(coords, 3, g);
    const LionOrders l = gpu.lion(c);
    for (int k = 0; k < 2; ++k) expect_same(l.orders[k], cpu.orders[k]);
  }
}

TEST(CudaWindowSorter, DuplicateVoxelsThrow) {
  if (!cuda::device_available()) GTEST_SKIP() << "no CUDA device: " << cuda::device_description();
  LionWindowConfig c;
  c.window = {5, 5, 2};
  c.grid = {20, 20, 4};
  c.group_size = 8;
  cuda::CudaWindowSorter gpu;
  gpu.upload({0, 0, 0, 1, 0, 0, 0, 1}, 1, 8);
  EXPECT_THROW(gpu.run_lion(c), Error);
}
