#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/error.hpp"
#include "voxel/point_features.hpp"
#include "voxel/scatter.hpp"

using namespace lidardet;

namespace {

VoxelizerConfig cfg(const std::string& extra = "") {
  return VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [-2, -2, -1, 2, 2, 1]\nVOXEL_SIZE: [0.5, 0.5, 2]\n" + extra));
}

}  // namespace

TEST(PointFeatures, HandCaseDynamicVoxelVfe) {
  PointCloud c({"x", "y", "z", "intensity", "elongation"});
  c.push_back(std::vector<float>{0.1f, 0.2f, 0.5f, 2.0f, -1.0f});
  c.push_back(std::vector<float>{0.3f, 0.4f, -0.5f, 0.0f, 0.5f});
  const auto config = cfg("TANH_CHANNELS: [elongation]\nWITH_DISTANCE: true\n");
  const Voxels v = voxelize(c, config);
  ASSERT_EQ(v.num_voxels(), 1u);  // both in cell x 4, y 4, z 0
  const PointFeatures f =
      point_features(std::span<const PointCloudView>(std::vector{c.view()}), v, config);
  const std::vector<std::string> names = {"x",          "y",         "z",         "intensity",
                                          "elongation", "cluster_x", "cluster_y", "cluster_z",
                                          "center_x",   "center_y",  "center_z",  "distance"};
  EXPECT_EQ(f.names, names);
  ASSERT_EQ(f.width, 12u);
  ASSERT_EQ(f.rows, 2u);
  const float* r = &f.values[0];
  EXPECT_EQ(r[0], 0.1f);
  EXPECT_EQ(r[3], 2.0f);                     // not in TANH_CHANNELS
  EXPECT_NEAR(r[4], std::tanh(-1.0), 1e-7);  // tanh applied
  EXPECT_NEAR(r[5], 0.1 - 0.2, 1e-6);        // mean x = 0.2
  EXPECT_NEAR(r[6], 0.2 - 0.3, 1e-6);        // mean y = 0.3
  EXPECT_NEAR(r[7], 0.5 - 0.0, 1e-6);        // mean z = 0
  EXPECT_NEAR(r[8], 0.1 - 0.25, 1e-6);       // centre of cell 4: 4 * 0.5 - 2 + 0.25
  EXPECT_NEAR(r[9], 0.2 - 0.25, 1e-6);
  EXPECT_NEAR(r[10], 0.5 - 0.0, 1e-6);  // z centre: 0 * 2 - 1 + 1
  EXPECT_NEAR(r[11], std::sqrt(0.01 + 0.04 + 0.25), 1e-6);
  EXPECT_NEAR(f.values[12 + 4], std::tanh(0.5), 1e-7);
}

TEST(PointFeatures, WithoutAbsoluteXyzAndUnknownTanhChannel) {
  PointCloud c;
  c.push_back(std::vector<float>{0.1f, 0.2f, 0.5f, 7.0f});
  const std::vector<PointCloudView> batch = {c.view()};
  const auto config = cfg("USE_ABSLOTE_XYZ: false\n");
  const Voxels v = voxelize(batch, config);
  const PointFeatures f = point_features(batch, v, config);
  ASSERT_EQ(f.width, 7u);  // intensity, cluster xyz, centre xyz
  EXPECT_EQ(f.values[0], 7.0f);
  EXPECT_EQ(f.values[1], 0.0f);  // one point: offset to its own mean is 0
  const auto bad = cfg("TANH_CHANNELS: [elongation]\n");
  EXPECT_THROW(point_features(batch, voxelize(batch, bad), bad), Error);
}

TEST(PortableTanh, MatchesStdTanhWithinOneUlp) {
  std::mt19937 rng(3);
  std::vector<float> xs = {0.0f,    -0.0f, 1e-30f, 1e-8f, -1e-4f, 0.2499f, 0.25f,
                           0.2501f, 1.0f,  -3.0f,  9.0f,  19.9f,  25.0f,   -1e4f};
  std::uniform_real_distribution<float> u(-12, 12);
  for (int i = 0; i < 20000; ++i) xs.push_back(u(rng));
  std::uniform_real_distribution<float> e(-30, 2);
  for (int i = 0; i < 5000; ++i) xs.push_back(std::pow(10.0f, e(rng)));
  for (float x : xs) {
    const float ref = float(std::tanh(double(x)));
    const float got = portable_tanh(x);
    const float ulp = std::nextafter(std::fabs(ref), 2.0f) - std::fabs(ref);
    ASSERT_LE(std::fabs(got - ref), ulp) << "x = " << x;
  }
  EXPECT_TRUE(std::isnan(portable_tanh(NAN)));
}

TEST(Scatter, MeanAndMaxOnHandCase) {
  PointCloud c;
  c.push_back(std::vector<float>{0.1f, 0.1f, 0, 0});
  c.push_back(std::vector<float>{1.1f, 0.1f, 0, 0});
  c.push_back(std::vector<float>{0.2f, 0.2f, 0, 0});
  const Voxels v = voxelize(c, cfg());
  ASSERT_EQ(v.num_voxels(), 2u);                           // points 0 and 2 share a voxel
  const std::vector<float> rows = {1, -5, 10, 20, 3, -1};  // 2 channels per kept point
  EXPECT_EQ(scatter_mean(rows, 2, v), (std::vector<float>{2, -3, 10, 20}));
  EXPECT_EQ(scatter_max(rows, 2, v), (std::vector<float>{3, -1, 10, 20}));
  const std::vector<float> with_nan = {1, NAN, 10, 20, 3, -1};
  EXPECT_TRUE(std::isnan(scatter_max(with_nan, 2, v)[1]));
  EXPECT_THROW(scatter_mean(std::vector<float>(5), 2, v), Error);
}

// Means and features against float64 computations on a random cloud, for several thread counts.
TEST(PointFeatures, RandomCloudAgainstDoubleReference) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-2.2f, 2.2f);
  PointCloud c;
  for (int i = 0; i < 30000; ++i) c.push_back(std::vector<float>{u(rng), u(rng), u(rng) * 0.4f, 1});
  const std::vector<PointCloudView> batch = {c.view()};
  const auto config = cfg();
  const Voxels v = voxelize(batch, config);
  const auto means = voxel_means(batch, v);
  for (std::size_t k = 0; k < v.num_voxels(); ++k) {
    double s[3] = {0, 0, 0};
    for (std::uint32_t j = v.voxel_offsets[k]; j < v.voxel_offsets[k + 1]; ++j)
      for (int a = 0; a < 3; ++a) s[a] += c(v.kept_points[v.voxel_points[j]], a);
    for (int a = 0; a < 3; ++a) ASSERT_NEAR(means[3 * k + a], s[a] / v.voxel_size(k), 1e-6);
  }
  const PointFeatures f = point_features(batch, v, config, 1);
  for (std::size_t r = 0; r < f.rows; ++r) {
    const std::size_t p = v.kept_points[r];
    const int vox = v.point_voxel[r];
    for (int a = 0; a < 3; ++a) {
      const double centre = v.coords[4 * vox + 3 - a] * double(config.voxel_size[a]) +
                            config.range[a] + config.voxel_size[a] / 2.0;
      ASSERT_NEAR(f.values[r * f.width + 4 + a], c(p, a) - double(means[3 * vox + a]), 1e-6);
      ASSERT_NEAR(f.values[r * f.width + 7 + a], c(p, a) - centre, 1e-6);
      // Every kept point lies inside its voxel.
      ASSERT_LE(std::fabs(c(p, a) - centre), config.voxel_size[a] / 2.0 + 1e-6);
    }
  }
  for (int threads : {2, 5}) EXPECT_EQ(point_features(batch, v, config, threads).values, f.values);
}

// Reusing the output across frames of different sizes gives the fresh result every time.
TEST(PointFeatures, ReusedOutputMatchesFresh) {
  const auto config = cfg("TANH_CHANNELS: [intensity]\n");
  PointFeatures out;
  for (int n : {3000, 50, 800}) {
    std::mt19937 rng(n);
    std::uniform_real_distribution<float> u(-2.1f, 2.1f);
    PointCloud c;
    for (int i = 0; i < n; ++i) c.push_back(std::vector<float>{u(rng), u(rng), u(rng) / 2, u(rng)});
    const std::vector<PointCloudView> batch = {c.view()};
    const Voxels v = voxelize(batch, config);
    point_features_into(out, batch, v, config, 2);
    const PointFeatures fresh = point_features(batch, v, config);
    EXPECT_EQ(out.rows, fresh.rows);
    EXPECT_EQ(out.names, fresh.names);
    EXPECT_EQ(out.values, fresh.values);
  }
}
