#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "voxel/voxel_config.hpp"

using namespace lidardet;

TEST(VoxelConfig, GridFromRangeAndSize) {
  const auto c = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [0, -40, -3, 70.4, 40, 1]\nVOXEL_SIZE: [0.2, 0.2, 0.125]\n"));
  // 70.4 / 0.2 = 352, 80 / 0.2 = 400, 4 / 0.125 = 32 (lion.md §1.1).
  EXPECT_EQ(c.grid[0], 352);
  EXPECT_EQ(c.grid[1], 400);
  EXPECT_EQ(c.grid[2], 32);
  EXPECT_EQ(c.rule, RangeRule::kGrid);
  EXPECT_EQ(c.order, VoxelOrder::kXYZ);
  EXPECT_TRUE(c.use_absolute_xyz);
}

TEST(VoxelConfig, MissingKeyIsNamed) {
  try {
    VoxelizerConfig::from_yaml(YAML::Load("VOXEL_SIZE: [0.2, 0.2, 0.125]\n"), "m.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("POINT_CLOUD_RANGE"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("m.yaml"), std::string::npos) << e.what();
  }
}

TEST(VoxelConfig, BadValuesAreRejected) {
  EXPECT_THROW(VoxelizerConfig::from_yaml(YAML::Load(
                   "POINT_CLOUD_RANGE: [0, 0, 0, 1, 1, 1]\nVOXEL_SIZE: [0.1, 0, 0.1]\n")),
               Error);
  EXPECT_THROW(VoxelizerConfig::from_yaml(
                   YAML::Load("POINT_CLOUD_RANGE: [0, 0, 0, 1, 1]\nVOXEL_SIZE: [0.1, 0.1, 0.1]\n")),
               Error);
  EXPECT_THROW(VoxelizerConfig::from_yaml(
                   YAML::Load("POINT_CLOUD_RANGE: [0, 0, 0, 1, 1, 1]\nVOXEL_SIZE: [0.1, 0.1, "
                              "0.1]\nRANGE_RULE: nearest\n")),
               Error);
  EXPECT_THROW(VoxelizerConfig::from_yaml(YAML::Load(
                   "POINT_CLOUD_RANGE: [0, 0, 0, 1, 1, 1]\nVOXEL_SIZE: [0.1, x, 0.1]\n")),
               Error);
}

TEST(VoxelConfig, OptionalKeys) {
  const auto c = VoxelizerConfig::from_yaml(YAML::Load(R"(
POINT_CLOUD_RANGE: [-74.88, -74.88, -2, 74.88, 74.88, 4]
VOXEL_SIZE: [0.32, 0.32, 6]
RANGE_RULE: strict_clamp
FILTER_RANGE: [-74.88, -74.88, -1.999, 74.88, 74.88, 3.999]
VOXEL_ORDER: zyx
TANH_CHANNELS: [intensity, elongation]
WITH_DISTANCE: true
MAX_POINTS_PER_VOXEL: 5
MAX_NUMBER_OF_VOXELS: {train: 16000, test: 40000}
)"));
  EXPECT_EQ(c.grid[0], 468);
  EXPECT_EQ(c.grid[2], 1);
  EXPECT_EQ(c.rule, RangeRule::kStrictClamp);
  EXPECT_FLOAT_EQ(c.filter_range[2], -1.999f);
  EXPECT_EQ(c.order, VoxelOrder::kZYX);
  ASSERT_EQ(c.tanh_channels.size(), 2u);
  EXPECT_EQ(c.tanh_channels[1], "elongation");
  EXPECT_TRUE(c.with_distance);
  EXPECT_EQ(c.max_points_per_voxel, 5);
  EXPECT_EQ(c.max_voxels, 40000);  // inference uses the test entry
}

TEST(VoxelConfig, FromModelFile) {
  const std::string path = test::source_dir() + "/configs/lion_mamba_kitti.yaml";
  if (!test::exists(path)) GTEST_SKIP() << "model config not present yet: " << path;
  const auto c = VoxelizerConfig::from_model_file(path);
  EXPECT_EQ(c.grid[0], 352);
  EXPECT_EQ(c.grid[1], 400);
  EXPECT_EQ(c.grid[2], 32);
  EXPECT_EQ(c.max_points_per_voxel, 5);
  EXPECT_EQ(c.max_voxels, 40000);
  EXPECT_FALSE(c.with_distance);
}

TEST(VoxelConfig, ModelYamlWithoutVoxelSizeIsNamed) {
  try {
    VoxelizerConfig::from_model_yaml(
        YAML::Load("DATA_CONFIG: {POINT_CLOUD_RANGE: [0, 0, 0, 1, 1, 1]}\n"), "cfg.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("DATA_PROCESSOR"), std::string::npos) << e.what();
  }
}
