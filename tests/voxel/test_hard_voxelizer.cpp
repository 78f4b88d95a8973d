#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "core/error.hpp"
#include "voxel/hard_voxelizer.hpp"

using namespace lidardet;

TEST(HardVoxelizer, FirstComeCapsOnHandCase) {
  const auto config = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [0, 0, 0, 4, 4, 4]\nVOXEL_SIZE: [1, 1, 1]\n"
                 "MAX_POINTS_PER_VOXEL: 2\nMAX_NUMBER_OF_VOXELS: 2\n"));
  PointCloud c;
  c.push_back(std::vector<float>{3.5f, 0.5f, 0.5f, 0});  // voxel A (first seen)
  c.push_back(std::vector<float>{9.0f, 0.5f, 0.5f, 1});  // out of range
  c.push_back(std::vector<float>{0.5f, 0.5f, 0.5f, 2});  // voxel B
  c.push_back(std::vector<float>{3.6f, 0.6f, 0.6f, 3});  // A
  c.push_back(std::vector<float>{1.5f, 0.5f, 0.5f, 4});  // voxel C: third voxel, dropped
  c.push_back(std::vector<float>{3.7f, 0.7f, 0.7f, 5});  // A, beyond 2 points: dropped
  c.push_back(std::vector<float>{0.6f, 0.6f, 0.6f, 6});  // B
  const std::vector<PointCloudView> batch = {c.view()};
  const HardVoxels h = hard_voxelize(batch, voxelize(batch, config), config);
  ASSERT_EQ(h.num_voxels(), 2u);
  EXPECT_EQ(h.coords, (std::vector<std::int32_t>{0, 0, 0, 3, 0, 0, 0, 0}));  // A then B
  EXPECT_EQ(h.num_points, (std::vector<std::int32_t>{2, 2}));
  ASSERT_EQ(h.points.size(), 2u * 2u * 4u);
  EXPECT_EQ(h.points[3], 0.0f);   // A: point 0
  EXPECT_EQ(h.points[7], 3.0f);   // A: point 3
  EXPECT_EQ(h.points[11], 2.0f);  // B: point 2
  EXPECT_EQ(h.points[15], 6.0f);  // B: point 6
  EXPECT_THROW(hard_voxelize(batch, voxelize(batch, config), VoxelizerConfig{}), Error);
}

// Against a direct simulation of the reference's sequential loop over points.
TEST(HardVoxelizer, RandomCloudMatchesSequentialLoop) {
  const auto config = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [0, 0, 0, 8, 8, 2]\nVOXEL_SIZE: [0.5, 0.5, 1]\n"));
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-0.5f, 8.5f);
  PointCloud c;
  for (int i = 0; i < 5000; ++i)
    c.push_back(std::vector<float>{u(rng), u(rng), u(rng) / 4, float(i)});
  const std::vector<PointCloudView> batch = {c.view()};
  const int P = 3, V = 150;
  std::map<std::tuple<int, int, int>, int> id;
  std::vector<std::vector<float>> lists;
  std::vector<std::array<int, 3>> cells;
  for (std::size_t i = 0; i < c.size(); ++i) {
    int cell[3];
    bool in = true;
    for (int a = 0; a < 3; ++a) {
      const float f = std::floor((c(i, a) - config.range[a]) / config.voxel_size[a]);
      in = in && f >= 0 && f < config.grid[a];
      cell[a] = int(f);
    }
    if (!in) continue;
    auto [it, fresh] = id.try_emplace({cell[0], cell[1], cell[2]}, int(lists.size()));
    if (fresh) {
      if (int(lists.size()) == V) {
        id.erase(it);
        continue;
      }
      lists.emplace_back();
      cells.push_back({cell[0], cell[1], cell[2]});
    }
    if (int(lists[it->second].size()) < P) lists[it->second].push_back(c(i, 3));
  }
  const HardVoxels h = hard_voxelize(batch, voxelize(batch, config), config, P, V);
  ASSERT_EQ(h.num_voxels(), lists.size());
  for (std::size_t v = 0; v < lists.size(); ++v) {
    EXPECT_EQ(h.coords[4 * v + 3], cells[v][0]);
    EXPECT_EQ(h.coords[4 * v + 1], cells[v][2]);
    ASSERT_EQ(h.num_points[v], int(lists[v].size()));
    for (std::size_t j = 0; j < lists[v].size(); ++j)
      EXPECT_EQ(h.points[(v * P + j) * 4 + 3], lists[v][j]);
  }
}
