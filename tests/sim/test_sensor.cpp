// Sensor YAML: the committed HDL-64 and Waymo TOP models, the range-image conventions, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.hpp"
#include "sim/rng.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

double deg(double r) { return r * 180 / M_PI; }

TEST(Sensor, Hdl64MatchesTheKittiScanner) {
  const SensorSpec s = test::hdl64();
  ASSERT_EQ(s.rows(), 64);
  EXPECT_NEAR(deg(s.inclinations.front()), 2.0, 1e-9);  // data.md 2.1: +2.0 ... -24.8 deg
  EXPECT_NEAR(deg(s.inclinations.back()), -24.8, 1e-9);
  EXPECT_EQ(s.columns, 2083);
  EXPECT_DOUBLE_EQ(s.mount_z, 1.73);
  EXPECT_DOUBLE_EQ(s.max_range, 120.0);
  EXPECT_EQ(s.camera.width, 1242);
  EXPECT_EQ(s.camera.height, 375);
}

TEST(Sensor, WaymoTopUsesTheRealInclinationTable) {
  const SensorSpec s = test::waymo_top();
  ASSERT_EQ(s.rows(), 64);
  EXPECT_NEAR(deg(s.inclinations.front()), 2.503, 1e-9);  // data.md 3.5, row 0 = top
  EXPECT_NEAR(deg(s.inclinations.back()), -17.547, 1e-9);
  EXPECT_NEAR(deg(s.inclinations[15]), -0.012, 1e-9);
  EXPECT_NEAR(deg(s.inclination_min), -17.864, 1e-9);
  EXPECT_NEAR(deg(s.inclination_max), 2.594, 1e-9);
  EXPECT_EQ(s.columns, 2650);
  EXPECT_DOUBLE_EQ(s.max_range, 75.0);
  const auto e = s.extrinsic();
  EXPECT_NEAR(e[3], 1.43, 1e-12);
  EXPECT_NEAR(e[11], 2.184, 1e-12);
  EXPECT_NEAR(std::atan2(e[4], e[0]), 148.0 * M_PI / 180, 1e-12);  // az_correction
}

TEST(Sensor, ColumnAzimuthFollowsWaymoConvention) {
  // data.md 3.4: column 0 ~ +180 deg (rear), W/4 ~ +90 (left), W/2 ~ 0, 3W/4 ~ -90.
  const SensorSpec s = test::waymo_top();
  const double half_step = M_PI / s.columns;
  EXPECT_NEAR(s.column_azimuth(0), M_PI - half_step, 1e-12);
  EXPECT_NEAR(s.column_azimuth(s.columns / 2), -half_step, 1e-12);
  EXPECT_NEAR(s.column_azimuth(s.columns / 4), M_PI / 2 - half_step * 1, 2 * half_step);
  EXPECT_NEAR(s.column_azimuth(3 * s.columns / 4), -M_PI / 2, 2 * half_step);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = lidardet::test::temp_dir("sim_sensor");
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(Sensor, BadYamlNamesTheFieldAndFile) {
  std::ifstream in(test::config("hdl64.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string no_columns =
      write_temp("no_columns.yaml", text.substr(0, text.find("columns:")) +
                                        text.substr(text.find('\n', text.find("columns:")) + 1));
  try {
    load_sensor(no_columns);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("columns"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_columns.yaml"), std::string::npos) << e.what();
  }
  std::string ascending = text;
  ascending.replace(ascending.find("2.0000, 1.6667"), 14, "1.0000, 1.6667");
  EXPECT_THROW(load_sensor(write_temp("ascending.yaml", ascending)), Error);
  std::string bad_number = text;
  bad_number.replace(bad_number.find("columns: 2083"), 13, "columns: many");
  EXPECT_THROW(load_sensor(write_temp("bad.yaml", bad_number)), Error);
  EXPECT_THROW(load_sensor("/nonexistent/sensor.yaml"), Error);
}

TEST(Rng, UniformAndNormalMoments) {
  Rng rng(42);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double g = rng.normal();
    sn += g;
    sn2 += g * g;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);  // 5 sigma of the mean is 0.0032
  EXPECT_NEAR(sn / n, 0.0, 0.012);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  Rng a(5), b(5), c(6);
  EXPECT_EQ(a.bits(), b.bits());
  EXPECT_NE(Rng(5).bits(), c.bits());
  EXPECT_NE(mix_seed(1, 0), mix_seed(1, 1));
}

}  // namespace
}  // namespace lidardet::sim
