#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <set>

#include "common/test_paths.hpp"
#include "core/atomic_file.hpp"
#include "voxel/hard_voxelizer.hpp"
#include "voxel/point_features.hpp"

using namespace lidardet;

// The real KITTI frame (20,285 camera-FOV points) through LION's KITTI voxelizer settings.
TEST(VoxelRealData, KittiFrame) {
  const std::string path = test::shared_data("kitti_real/training/velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(path);
  const std::string bytes = read_file_bytes(path);
  ASSERT_EQ(bytes.size() % 16, 0u);
  PointCloud cloud;
  cloud.resize(bytes.size() / 16);
  std::memcpy(cloud.data(), bytes.data(), bytes.size());
  ASSERT_EQ(cloud.size(), 20285u);
  const auto config = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [0, -40, -3, 70.4, 40, 1]\nVOXEL_SIZE: [0.2, 0.2, 0.125]\n"
                 "MAX_POINTS_PER_VOXEL: 5\nMAX_NUMBER_OF_VOXELS: 40000\n"));
  const std::vector<PointCloudView> batch = {cloud.view()};
  const Voxels v = voxelize(batch, config, 2);
  // Independent count in double precision; the float formula may differ only at cell borders,
  // so compare the number of distinct cells loosely and the kept points exactly away from edges.
  std::set<std::array<long, 3>> cells;
  std::size_t inside = 0;
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    std::array<long, 3> c{};
    bool in = true;
    for (int a = 0; a < 3; ++a) {
      const double f = std::floor((double(cloud(i, a)) - config.range[a]) / config.voxel_size[a]);
      in = in && f >= 0 && f < config.grid[a];
      c[a] = long(f);
    }
    if (in) cells.insert(c), ++inside;
  }
  EXPECT_NEAR(double(v.num_kept()), double(inside), 2.0);
  // Cells split differently by float rounding at borders are few (0.1 % allowed).
  EXPECT_NEAR(double(v.num_voxels()), double(cells.size()), 0.001 * cells.size());
  EXPECT_GT(v.num_voxels(), 5000u);  // 20k FOV points at 0.2 x 0.2 x 0.125 m fill thousands
  const PointFeatures f = point_features(batch, v, config, 2);
  EXPECT_EQ(f.width, 10u);  // 4 raw + 3 cluster + 3 centre (lion.md §2.2: 10 for KITTI)
  for (std::size_t r = 0; r < f.rows; ++r)
    for (int a = 0; a < 3; ++a)
      ASSERT_LE(std::fabs(f.values[r * f.width + 7 + a]), config.voxel_size[a] / 2 + 1e-5);
  const HardVoxels h = hard_voxelize(batch, v, config);
  EXPECT_EQ(h.num_voxels(), std::min<std::size_t>(v.num_voxels(), 40000));
  for (auto n : h.num_points) ASSERT_TRUE(n >= 1 && n <= 5);
}
