#include <gtest/gtest.h>

#include <random>

#include "common/test_paths.hpp"
#include "io/kitti_calib.hpp"
#include "io_test_util.hpp"

namespace {

using lidardet::KittiCalib;
using lidardet::read_kitti_calib;
using lidardet::write_kitti_calib;
namespace t = lidardet::test;

const std::string kRealCalib = "kitti_real/training/calib/000000.txt";

std::string calib_text(const std::string& skip_key = "", const std::string& extra = "") {
  std::string s;
  const char* keys[] = {"P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"};
  for (const char* k : keys) {
    if (k == skip_key) continue;
    const int n = std::string(k) == "R0_rect" ? 9 : 12;
    s += std::string(k) + ":";
    for (int i = 0; i < n; ++i) s += " " + std::to_string(i + 1);
    s += "\n";
  }
  return s + extra;
}

TEST(KittiCalib, ReadsMatricesRowMajor) {
  const auto dir = t::temp_dir("calib_read");
  t::write_raw(dir / "c.txt", calib_text());
  const KittiCalib c = read_kitti_calib((dir / "c.txt").string());
  EXPECT_EQ(c.P2(0, 0), 1.0);
  EXPECT_EQ(c.P2(0, 3), 4.0);
  EXPECT_EQ(c.P2(1, 0), 5.0);
  EXPECT_EQ(c.P2(2, 3), 12.0);
  EXPECT_EQ(c.R0_rect(1, 0), 4.0);
  EXPECT_EQ(c.R0_rect(2, 2), 9.0);
  EXPECT_EQ(c.Tr_imu_to_velo(2, 1), 10.0);
}

TEST(KittiCalib, MissingKeyNamesTheKey) {
  const auto dir = t::temp_dir("calib_missing");
  for (const std::string key : {"P2", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"}) {
    t::write_raw(dir / "c.txt", calib_text(key));
    const auto msg = t::error_of([&] { read_kitti_calib((dir / "c.txt").string()); });
    EXPECT_NE(msg.find("c.txt: field '" + key + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
  }
}

TEST(KittiCalib, BadValuesNameLineAndField) {
  const auto dir = t::temp_dir("calib_bad");
  std::string text = calib_text();
  // Line 3 (P2): its 4th value (index 3) is not a number.
  text.replace(text.find("P2: 1 2 3 4"), 11, "P2: 1 2 3 x4");
  t::write_raw(dir / "c.txt", text);
  auto msg = t::error_of([&] { read_kitti_calib((dir / "c.txt").string()); });
  EXPECT_NE(msg.find("c.txt:3: field 'P2[3]'"), std::string::npos) << msg;
  // Too few values on R0_rect (line 5).
  text = calib_text();
  text.replace(text.find("R0_rect: 1 2 3 4 5 6 7 8 9"), 26, "R0_rect: 1 2 3 4 5 6 7 8");
  t::write_raw(dir / "d.txt", text);
  msg = t::error_of([&] { read_kitti_calib((dir / "d.txt").string()); });
  EXPECT_NE(msg.find("d.txt:5: field 'R0_rect'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 9 values, got 8"), std::string::npos) << msg;
  // A duplicated key and a line without "KEY:".
  t::write_raw(dir / "e.txt", calib_text("", "P0: 1 2 3 4 5 6 7 8 9 10 11 12\n"));
  msg = t::error_of([&] { read_kitti_calib((dir / "e.txt").string()); });
  EXPECT_NE(msg.find("e.txt:8: field 'P0'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;
  t::write_raw(dir / "f.txt", calib_text("", "garbage line\n"));
  msg = t::error_of([&] { read_kitti_calib((dir / "f.txt").string()); });
  EXPECT_NE(msg.find("f.txt:8:"), std::string::npos) << msg;
}

TEST(KittiCalib, ToleratesOtherOrderExtraKeysAndTrailingBlankLine) {
  const auto dir = t::temp_dir("calib_order");
  std::string text = calib_text();
  const auto p0_end = text.find('\n') + 1;
  text = text.substr(p0_end) + "R_rect_00: 1 0 0 0 1 0 0 0 1\n" + text.substr(0, p0_end) + "\n";
  t::write_raw(dir / "c.txt", text);
  t::write_raw(dir / "ref.txt", calib_text());
  EXPECT_EQ(read_kitti_calib((dir / "c.txt").string()),
            read_kitti_calib((dir / "ref.txt").string()));
}

TEST(KittiCalib, RealFileValuesAndByteExactRewrite) {
  const auto path = t::shared_data(kRealCalib);
  LIDARDET_REQUIRE_SHARED(path);
  const KittiCalib c = read_kitti_calib(path);
  // data.md §1.4: the 2011_09_28 calibration.
  EXPECT_EQ(c.P2(0, 0), 7.070493e+02);
  EXPECT_EQ(c.P2(0, 3), 4.575831e+01);
  EXPECT_EQ(c.P1(0, 3), -3.797842e+02);
  EXPECT_EQ(c.R0_rect(0, 1), 1.009263e-02);
  EXPECT_EQ(c.Tr_velo_to_cam(2, 0), 9.999753e-01);
  EXPECT_EQ(c.Tr_imu_to_velo(0, 3), -8.086759e-01);
  // The file is written with "%.12e" in this key order, so our writer reproduces it (the real
  // file may end in an extra blank line, which the reader ignores).
  const auto dir = t::temp_dir("calib_real");
  write_kitti_calib((dir / "c.txt").string(), c);
  std::string orig = t::read_raw(path);
  while (orig.size() > 1 && orig[orig.size() - 1] == '\n' && orig[orig.size() - 2] == '\n')
    orig.pop_back();
  EXPECT_EQ(t::read_raw(dir / "c.txt"), orig);
}

TEST(KittiCalib, WriteReadKeepsThirteenSignificantDigits) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1000, 1000);
  KittiCalib c;
  for (auto* m : {&c.P0, &c.P1, &c.P2, &c.P3, &c.Tr_velo_to_cam, &c.Tr_imu_to_velo})
    for (int i = 0; i < 12; ++i) (*m)(i / 4, i % 4) = u(rng);
  for (int i = 0; i < 9; ++i) c.R0_rect(i / 3, i % 3) = u(rng) * 1e-3;
  const auto dir = t::temp_dir("calib_rt");
  write_kitti_calib((dir / "c.txt").string(), c);
  const KittiCalib back = read_kitti_calib((dir / "c.txt").string());
  // "%.12e" keeps 13 significant digits: relative error at most 5e-13.
  EXPECT_TRUE(back.P3.isApprox(c.P3, 1e-12));
  EXPECT_TRUE(back.R0_rect.isApprox(c.R0_rect, 1e-12));
  EXPECT_TRUE(back.Tr_imu_to_velo.isApprox(c.Tr_imu_to_velo, 1e-12));
  // And a second write of what was read is byte-identical.
  write_kitti_calib((dir / "d.txt").string(), back);
  EXPECT_EQ(t::read_raw(dir / "d.txt"), t::read_raw(dir / "c.txt"));
}

TEST(KittiCalib, SyntheticCalibAxesAndProjection) {
  const KittiCalib c = lidardet::synthetic_kitti_calib(700, 710, 600, 180, {0, -0.08, -0.27});
  // LiDAR +x (forward) is camera +z, LiDAR +y (left) is camera -x, LiDAR +z (up) camera -y.
  const Eigen::Vector3d r = c.lidar_to_rect({10, 2, 1});
  EXPECT_NEAR(r.x(), -2.0, 1e-12);
  EXPECT_NEAR(r.y(), -1.0 - 0.08, 1e-12);
  EXPECT_NEAR(r.z(), 10.0 - 0.27, 1e-12);
  // A point on the optical axis lands on the principal point.
  const Eigen::Vector3d uv = c.rect_to_image({0, 0, 5});
  EXPECT_NEAR(uv.x(), 600, 1e-12);
  EXPECT_NEAR(uv.y(), 180, 1e-12);
  EXPECT_NEAR(uv.z(), 5, 1e-12);
  // u = fx X/Z + cx.
  EXPECT_NEAR(c.rect_to_image({1, -2, 10}).x(), 700 * 0.1 + 600, 1e-9);
  EXPECT_NEAR(c.rect_to_image({1, -2, 10}).y(), 710 * -0.2 + 180, 1e-9);
}

TEST(KittiCalib, RectToLidarInvertsLidarToRectOnRealCalib) {
  const auto path = t::shared_data(kRealCalib);
  LIDARDET_REQUIRE_SHARED(path);
  const KittiCalib c = read_kitti_calib(path);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-60, 60);
  for (int i = 0; i < 200; ++i) {
    const Eigen::Vector3d p(u(rng), u(rng), u(rng) / 10);
    EXPECT_LT((c.rect_to_lidar(c.lidar_to_rect(p)) - p).norm(), 1e-9);
  }
  // Axis check on real numbers: 10 m ahead of the LiDAR is ~10 m along camera z.
  const Eigen::Vector3d r = c.lidar_to_rect({10, 0, 0});
  EXPECT_NEAR(r.z(), 10, 0.5);
  EXPECT_NEAR(r.x(), 0, 0.2);
}

}  // namespace
