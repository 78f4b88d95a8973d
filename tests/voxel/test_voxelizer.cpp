#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "common/expect_same_voxels.hpp"
#include "core/error.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"

using namespace lidardet;

namespace {

VoxelizerConfig unit_config(const std::string& extra = "") {
  return VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [0, 0, 0, 4, 4, 2]\nVOXEL_SIZE: [1, 1, 1]\n" + extra));
}

PointCloud cloud_of(const std::vector<std::array<float, 4>>& pts) {
  PointCloud c;
  for (const auto& p : pts) c.push_back(p);
  return c;
}

PointCloud random_cloud(std::uint32_t seed, std::size_t n, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi), i(0, 1);
  PointCloud c;
  c.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    c(k, 0) = u(rng), c(k, 1) = u(rng), c(k, 2) = u(rng) * 0.5f, c(k, 3) = i(rng);
  }
  return c;
}

}  // namespace

TEST(DynamicVoxelizer, HandCaseOrderAndEdges) {
  const auto cfg = unit_config();  // grid 4 x 4 x 2
  const PointCloud c = cloud_of({{
      {3.5f, 0.5f, 0.5f, 1},  // cell (3,0,0)
      {0.5f, 2.5f, 1.5f, 2},  // cell (0,2,1)
      {4.0f, 1.0f, 1.0f, 3},  // x on the upper edge: dropped
      {0.0f, 0.0f, 0.0f, 4},  // lower edge: kept, cell (0,0,0)
      {0.2f, 2.9f, 1.9f, 5},  // cell (0,2,1) again
      {NAN, 1.0f, 1.0f, 6},   // NaN: dropped
      {-0.01f, 1, 1, 7},      // below range: dropped
  }});
  const Voxels v = voxelize(c, cfg);
  ASSERT_EQ(v.num_voxels(), 3u);
  // Ascending (b, x, y, z); coords are (b, z, y, x).
  const std::vector<std::int32_t> coords = {0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3};
  EXPECT_EQ(v.coords, coords);
  EXPECT_EQ(v.kept_points, (std::vector<std::uint32_t>{0, 1, 3, 4}));
  EXPECT_EQ(v.point_voxel, (std::vector<std::int32_t>{2, 1, 0, 1}));
  EXPECT_EQ(v.voxel_offsets, (std::vector<std::uint32_t>{0, 1, 3, 4}));
  EXPECT_EQ(v.voxel_points, (std::vector<std::uint32_t>{2, 1, 3, 0}));
  EXPECT_EQ(v.sample_offsets, (std::vector<std::uint32_t>{0, 3}));
}

TEST(DynamicVoxelizer, ZyxOrderAndStrictClampRule) {
  const auto cfg =
      unit_config("VOXEL_ORDER: zyx\nRANGE_RULE: strict_clamp\nFILTER_RANGE: [0, 0, 0, 4, 4, 2]\n");
  const PointCloud c = cloud_of({{
      {3.5f, 0.5f, 0.5f, 1},  // (x3, y0, z0)
      {0.5f, 2.5f, 1.5f, 2},  // (x0, y2, z1)
      {0.0f, 1.0f, 1.0f, 3},  // x == min: strictly outside, dropped
      {1.5f, 0.5f, 0.5f, 4},  // (x1, y0, z0)
  }});
  const Voxels v = voxelize(c, cfg);
  // Ascending (b, z, y, x): (0,0,0,1), (0,0,0,3), (0,1,2,0).
  EXPECT_EQ(v.coords, (std::vector<std::int32_t>{0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 2, 0}));
  EXPECT_EQ(v.kept_points, (std::vector<std::uint32_t>{0, 1, 3}));
}

TEST(DynamicVoxelizer, EmptyAndBatch) {
  const auto cfg = unit_config();
  const PointCloud empty;
  const PointCloud a = cloud_of({{{0.5f, 0.5f, 0.5f, 0}, {1.5f, 0.5f, 0.5f, 0}}});
  const PointCloud b = cloud_of({{{0.5f, 0.5f, 0.5f, 0}}});
  const std::vector<PointCloudView> batch = {empty.view(), a.view(), empty.view(), b.view()};
  const Voxels v = voxelize(batch, cfg);
  EXPECT_EQ(v.batch_size, 4);
  EXPECT_EQ(v.sample_offsets, (std::vector<std::uint32_t>{0, 0, 2, 2, 3}));
  ASSERT_EQ(v.num_voxels(), 3u);
  EXPECT_EQ(v.coords[0], 1);
  EXPECT_EQ(v.coords[8], 3);  // third voxel belongs to sample 3
  EXPECT_EQ(v.kept_points, (std::vector<std::uint32_t>{0, 1, 2}));  // concatenated indices
  EXPECT_EQ(voxelize(empty, cfg).num_voxels(), 0u);
}

// Against a plain std::map reference on random clouds, with the same per-axis formula written
// out independently; every thread count and both unique methods must give identical output.
TEST(DynamicVoxelizer, RandomCloudMatchesMapReference) {
  const auto cfg = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [-10, -10, -1, 10, 10, 3]\nVOXEL_SIZE: [0.5, 0.25, 0.5]\n"));
  const PointCloud c = random_cloud(7, 60000, -12.0f, 12.0f);
  using Key = std::tuple<int, int, int>;
  std::map<Key, std::vector<std::uint32_t>> ref;
  for (std::uint32_t i = 0; i < c.size(); ++i) {
    int cell[3];
    bool in = true;
    for (int a = 0; a < 3; ++a) {
      const float f = std::floor((c(i, a) - cfg.range[a]) / cfg.voxel_size[a]);
      in = in && f >= 0 && f < cfg.grid[a];
      cell[a] = int(f);
    }
    if (in) ref[{cell[0], cell[1], cell[2]}].push_back(i);
  }
  const Voxels v = voxelize(c, cfg, 1);
  ASSERT_EQ(v.num_voxels(), ref.size());
  std::size_t k = 0;
  for (const auto& [key, pts] : ref) {
    EXPECT_EQ(v.coords[4 * k + 3], std::get<0>(key));
    EXPECT_EQ(v.coords[4 * k + 2], std::get<1>(key));
    EXPECT_EQ(v.coords[4 * k + 1], std::get<2>(key));
    ASSERT_EQ(v.voxel_size(k), pts.size());
    for (std::size_t j = 0; j < pts.size(); ++j)
      ASSERT_EQ(v.kept_points[v.voxel_points[v.voxel_offsets[k] + j]], pts[j]);
    ++k;
  }
  for (int threads : {2, 3, 8})
    for (auto method : {UniqueMethod::kSort, UniqueMethod::kHash}) {
      const Voxels w = voxelize(c, cfg, threads, method);
      lidardet::test::expect_same_voxels(w, v);
    }
}

TEST(DynamicVoxelizer, MissingXyzChannelsThrow) {
  // A view can carry fewer channels than a PointCloud allows.
  const std::vector<std::string> channels = {"x", "y"};
  const float data[2] = {0.5f, 0.5f};
  const PointCloudView view{data, 1, &channels};
  EXPECT_THROW(voxelize(std::span<const PointCloudView>(&view, 1), unit_config()), Error);
}

// Reused buffers must not leak anything from the previous frame into the next one.
TEST(DynamicVoxelizer, ReusedWorkspaceGivesFreshResults) {
  const auto cfg = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [-10, -10, -1, 10, 10, 3]\nVOXEL_SIZE: [0.5, 0.5, 0.5]\n"));
  Voxels out;
  VoxelWorkspace ws;
  for (auto method : {UniqueMethod::kSort, UniqueMethod::kHash})
    for (std::uint32_t seed : {1u, 2u, 3u}) {
      const PointCloud c = random_cloud(seed, seed == 2 ? 500 : 40000, -11.0f, 11.0f);
      const std::vector<PointCloudView> batch = {c.view()};
      voxelize_into(out, ws, batch, cfg, 2, method);
      const Voxels fresh = voxelize(batch, cfg, 1);
      lidardet::test::expect_same_voxels(out, fresh);
    }
}
