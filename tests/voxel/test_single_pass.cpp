// The one-thread single-pass voxelizer (single_pass_voxelizer.hpp) and the packed-word radix sort
// against the general sort-based path, which test_voxelizer.cpp checks against a std::map
// reference: every output array and the fused voxel means must agree bit for bit.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "common/expect_same_voxels.hpp"
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

// Bit patterns, so that -0.0 and +0.0 differ (== would call them equal).
std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<std::uint32_t> b(v.size());
  std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

// Single pass (one thread, hash, fused means) against the sort path plus voxel_means_into, with
// and without the AVX2 code (where the CPU has none, both runs take the baseline code).
void expect_same_as_sort_path(std::span<const PointCloudView> batch, const VoxelizerConfig& cfg) {
  const Voxels ref = voxelize(batch, cfg, 1, UniqueMethod::kSort);
  const std::vector<std::uint32_t> ref_means = bits_of(voxel_means(batch, ref, 1));
  ASSERT_EQ(ref_means, bits_of(voxel_means(batch, ref, 3)));
  for (bool avx2 : {true, false}) {
    SCOPED_TRACE(avx2 ? "AVX2 where available" : "baseline code");
    Voxels fast;
    VoxelWorkspace ws;
    ws.use_avx2 = avx2;
    std::vector<float> fused;
    for (int frame = 0; frame < 2; ++frame)  // the second frame reuses the sized buffers
      voxelize_into(fast, ws, batch, cfg, 1, UniqueMethod::kHash, &fused);
    lidardet::test::expect_same_voxels(fast, ref);
    // Exact float equality: the same double sums in the same order, rounded once.
    EXPECT_EQ(bits_of(fused), ref_means);
    Voxels plain;  // without means: the same voxels
    voxelize_into(plain, ws, batch, cfg, 1, UniqueMethod::kHash);
    lidardet::test::expect_same_voxels(plain, ref);
  }
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

// Runs of every length from 1 to 9 (the single pass handles runs four points at a time), runs
// cut by dropped points, voxels revisited by later runs, clouds of three channels (no fourth
// value to read along) and of five, and -0.0 coordinates (a mean of +0.0 + -0.0 is +0.0).
TEST(SinglePassVoxelizer, RunsOfEveryLengthAndChannelCounts) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> jitter(0.01f, 0.99f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t channels : {3u, 4u, 5u}) {
    SCOPED_TRACE(channels);
    std::vector<std::string> names = {"x", "y", "z", "f3", "f4"};
    names.resize(channels);
    PointCloud c(names);
    std::vector<float> row(channels, 0.5f);
    for (int rep = 0; rep < 3; ++rep)
      for (int len = 1; len <= 9; ++len)
        for (int cell = 0; cell < 4; ++cell) {  // four voxels along x, revisited each rep
          for (int t = 0; t < len; ++t) {
            row[0] = float(cell) + jitter(rng), row[1] = jitter(rng), row[2] = jitter(rng);
            if (len == 3 && t == 1) row[0] = nan;  // dropped: cuts the run in two
            if (len == 4 && cell == 0)             // a voxel of -0.0 only: its mean is +0.0
              row[0] = -0.0f, row[1] = -0.0f, row[2] = 1.5f;
            c.push_back(row);
          }
        }
    const PointCloud other = random_cloud(4, 500, -1.0f, 5.0f);
    const std::vector<PointCloudView> batch = {c.view(), other.view()};
    const auto cfg = VoxelizerConfig::from_yaml(
        YAML::Load("POINT_CLOUD_RANGE: [-1, 0, 0, 5, 1, 2]\nVOXEL_SIZE: [1, 1, 1]\n"));
    expect_same_as_sort_path(batch, cfg);
  }
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
