// The one-thread single-pass voxelizer (single_pass_voxelizer.hpp) and the packed-word radix sort
// against the general sort-based path, which test_voxelizer.cpp checks against a std::map
// reference: every output array and the fused voxel means must agree bit for bit.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <random>

#include "voxel/bench_frames.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"
#include "voxel/radix_sort.hpp"

using namespace lidardet;

namespace {

PointCloud random_cloud(std::uint32_t seed, std::size_t n, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  PointCloud c;
  c.resize(n);
  for (std::size_t k = 0; k < n; ++k)
    for (int a = 0; a < 4; ++a) c(k, a) = u(rng);
  if (n > 10) c(3, 0) = std::numeric_limits<float>::quiet_NaN();  // dropped by both paths
  return c;
}

// Single pass (one thread, hash, fused means) against the sort path plus voxel_means_into.
void expect_same_as_sort_path(std::span<const PointCloudView> batch, const VoxelizerConfig& cfg) {
  Voxels fast;
  VoxelWorkspace ws;
  std::vector<float> fused;
  for (int frame = 0; frame < 2; ++frame)  // the second frame reuses the sized table
    voxelize_into(fast, ws, batch, cfg, 1, UniqueMethod::kHash, &fused);
  const Voxels ref = voxelize(batch, cfg, 1, UniqueMethod::kSort);
  EXPECT_EQ(fast.keys, ref.keys);
  EXPECT_EQ(fast.coords, ref.coords);
  EXPECT_EQ(fast.kept_points, ref.kept_points);
  EXPECT_EQ(fast.point_voxel, ref.point_voxel);
  EXPECT_EQ(fast.voxel_offsets, ref.voxel_offsets);
  EXPECT_EQ(fast.voxel_points, ref.voxel_points);
  EXPECT_EQ(fast.sample_offsets, ref.sample_offsets);
  // Exact float equality: the same double sums in the same order, rounded once.
  EXPECT_EQ(fused, voxel_means(batch, ref, 1));
  EXPECT_EQ(fused, voxel_means(batch, ref, 3));
}

}  // namespace

TEST(SinglePassVoxelizer, RandomBatchBothRangeRulesAndOrders) {
  const PointCloud a = random_cloud(1, 30000, -11.0f, 11.0f), empty,
                   b = random_cloud(2, 777, -11.0f, 11.0f);
  const std::vector<PointCloudView> batch = {a.view(), empty.view(), b.view()};
  for (const char* extra :
       {"", "VOXEL_ORDER: zyx\n",
        "RANGE_RULE: strict_clamp\nFILTER_RANGE: [-9, -9, -1, 9, 9, 3]\nVOXEL_ORDER: zyx\n"}) {
    SCOPED_TRACE(extra);
    const auto cfg = VoxelizerConfig::from_yaml(
        YAML::Load("POINT_CLOUD_RANGE: [-10, -10, -1, 10, 10, 3]\nVOXEL_SIZE: [0.5, 0.25, 0.5]\n" +
                   std::string(extra)));
    expect_same_as_sort_path(batch, cfg);
  }
}

// A scan-ordered frame: long runs of points in one voxel (the previous-voxel shortcut) and a
// table that grows from nothing several times on the first frame.
TEST(SinglePassVoxelizer, ScanOrderedFrame) {
  const PointCloud c = synthetic_frame("waymo", 3);
  const std::vector<PointCloudView> batch = {c.view()};
  const auto cfg = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [-75.52, -75.52, -2, 75.52, 75.52, 4.0]\n"
                 "VOXEL_SIZE: [0.32, 0.32, 0.1875]\n"));
  expect_same_as_sort_path(batch, cfg);
}

// Grids whose keys need more than 32 bits take the general path; the means still match.
TEST(SinglePassVoxelizer, WideKeysFallBackToGeneralPath) {
  const auto cfg = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [-1000, -1000, -25, 1000, 1000, 25]\n"
                 "VOXEL_SIZE: [0.1, 0.1, 0.1]\n"));  // 20000 x 20000 x 500 cells
  ASSERT_GT(cfg.cells(), 0xffffffffull);
  const PointCloud c = random_cloud(5, 5000, -3.0f, 3.0f);
  const std::vector<PointCloudView> batch = {c.view(), c.view()};
  expect_same_as_sort_path(batch, cfg);
}

TEST(RadixSortWords, MatchesStableSortOnBitRanges) {
  std::mt19937_64 rng(11);
  for (auto [lo, hi] : {std::pair{32, 59}, {32, 33}, {32, 54}, {0, 64}, {3, 17}}) {
    SCOPED_TRACE(lo);
    std::vector<std::uint64_t> words(20000);
    for (std::size_t i = 0; i < words.size(); ++i)
      words[i] = (rng() & ~std::uint64_t(0xffffffff)) | i;  // distinct low index, as used
    if (lo == 32 && hi == 54)  // a middle digit equal everywhere: its pass is skipped
      for (auto& w : words) w &= ~(std::uint64_t(0x7ff) << 43);
    auto field = [&](std::uint64_t w) {
      return hi - lo == 64 ? w : (w >> lo) & ((std::uint64_t(1) << (hi - lo)) - 1);
    };
    std::vector<std::uint64_t> ref = words, scratch;
    std::stable_sort(ref.begin(), ref.end(),
                     [&](std::uint64_t a, std::uint64_t b) { return field(a) < field(b); });
    radix_sort_words(words, lo, hi, scratch);
    EXPECT_EQ(words, ref);
  }
}
