// Whole-frame properties of the simulator: determinism, point counts, scan geometry, the
// range image and the per-object statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

using test::hdl64;
using test::scene_config;

TEST(Simulator, SameSeedGivesBitIdenticalFrames) {
  const Simulator sim(hdl64(), scene_config());
  const SimFrame a = sim.simulate(7, 3), b = sim.simulate(7, 3);
  ASSERT_EQ(a.points.size(), b.points.size());
  EXPECT_EQ(0, std::memcmp(a.points.data(), b.points.data(), a.points.size() * 16));
  ASSERT_EQ(a.objects.size(), b.objects.size());
  for (std::size_t i = 0; i < a.objects.size(); ++i) {
    EXPECT_EQ(a.objects[i].box_lidar, b.objects[i].box_lidar);
    EXPECT_EQ(a.objects[i].points_in_box, b.objects[i].points_in_box);
    EXPECT_EQ(a.objects[i].bbox, b.objects[i].bbox);
  }
  EXPECT_EQ(a.range_image.data, b.range_image.data);
}

TEST(Simulator, DifferentSeedOrFrameDiffers) {
  const Simulator sim(hdl64(), scene_config());
  const SimFrame a = sim.simulate(7, 3), b = sim.simulate(8, 3), c = sim.simulate(7, 4);
  EXPECT_FALSE(a.points == b.points);
  EXPECT_FALSE(a.points == c.points);
}

TEST(Simulator, Hdl64PointCountsLikeKitti) {
  // data.md 1.2 / 2.1: 100k-130k points per HDL-64 frame (64 x 2083 = 133k rays).
  const Simulator sim(hdl64(), scene_config());
  for (int i = 0; i < 4; ++i) {
    const SimFrame f = sim.simulate(11, i);
    EXPECT_GE(f.points.size(), 100000u) << "frame " << i << " (" << f.scene_type << ")";
    EXPECT_LE(f.points.size(), 130000u) << "frame " << i << " (" << f.scene_type << ")";
  }
}

TEST(Simulator, ReturnsLieOnTheirBeamAndColumn) {
  const SensorSpec s = hdl64();
  const Simulator sim(s, scene_config());
  const SimFrame f = sim.simulate(3, 0);
  const double step = 2 * M_PI / s.columns;
  for (std::size_t i = 0; i < f.points.size(); ++i) {
    const float* p = f.points.row(i);
    const double el = std::atan2(p[2], std::hypot(p[0], p[1]));
    ASSERT_NEAR(el, s.inclinations[f.point_row[i]], 1e-4) << "point " << i;
    const double az = std::atan2(p[1], p[0]);
    const double daz = std::remainder(az - s.column_azimuth(f.point_col[i]), 2 * M_PI);
    ASSERT_LE(std::abs(daz), s.azimuth_jitter * step + 1e-4) << "point " << i;
    const double range = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    ASSERT_GE(range, s.min_range - 1e-3);
    ASSERT_LE(range, s.max_range + 1e-3);
    ASSERT_NEAR(f.range_image.range(f.point_row[i], f.point_col[i]), range, 1e-3 * range);
    ASSERT_GE(p[3], 0.0f);
    ASSERT_LE(p[3], 1.0f);
  }
}

}  // namespace
}  // namespace lidardet::sim
