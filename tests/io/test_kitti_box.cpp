#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "common/test_paths.hpp"
#include "core/geometry.hpp"
#include "io/kitti_box.hpp"
#include "io/kitti_velodyne.hpp"
#include "io_test_util.hpp"

namespace {

using lidardet::Box3D;
using lidardet::KittiCalib;
using lidardet::KittiObject;
namespace t = lidardet::test;
constexpr double kPi = std::numbers::pi;

const std::string kRoot = "kitti_real/training/";

TEST(KittiBox, AxisAlignedConversionBySynthetic) {
  // Synthetic calib, zero translation: rect = (-y, -z, x) of the LiDAR point.
  const KittiCalib c = lidardet::synthetic_kitti_calib(700, 700, 600, 180, {0, 0, 0});
  KittiObject o;
  o.type = "Car";
  o.h = 1.5, o.w = 1.6, o.l = 4.0;
  o.x = 2.0, o.y = 1.0, o.z = 15.0;  // bottom centre 1 m below the camera, 2 m right, 15 ahead
  o.ry = 0;                          // length along camera +x = LiDAR -y
  const Box3D b = lidardet::kitti_to_box(o, c);
  EXPECT_NEAR(b.x, 15.0, 1e-12);
  EXPECT_NEAR(b.y, -2.0, 1e-12);
  EXPECT_NEAR(b.z, -1.0 + 0.75, 1e-12);  // centre is half the height above the bottom face
  EXPECT_EQ(b.l, 4.0);
  EXPECT_EQ(b.w, 1.6);
  EXPECT_EQ(b.h, 1.5);
  // Heading points along the length: camera +x is LiDAR -y, i.e. yaw -pi/2.
  EXPECT_NEAR(b.yaw, -kPi / 2, 1e-12);
  EXPECT_EQ(b.label, "Car");
  EXPECT_EQ(b.score, 1.0f);
}

TEST(KittiBox, AlphaIsRyMinusViewingAngle) {
  EXPECT_NEAR(lidardet::kitti_alpha(0.3, 0.0, 10.0), 0.3, 1e-15);      // on the optical axis
  EXPECT_NEAR(lidardet::kitti_alpha(0.0, 5.0, 5.0), -kPi / 4, 1e-15);  // 45 deg to the right
  EXPECT_NEAR(lidardet::kitti_alpha(3.0, -5.0, 5.0), 3.0 + kPi / 4 - 2 * kPi, 1e-12);  // wrapped
}

TEST(KittiBox, ProjectedBoxOfAKnownCube) {
  // fx = fy = 100, principal point (50, 50); a 2 m cube whose bottom centre is at (0, 1, 10):
  // corners x in [-1, 1], y in [-1, 1], z in [9, 11]; the extremes are at z = 9: 50 +- 100/9.
  const KittiCalib c = lidardet::synthetic_kitti_calib(100, 100, 50, 50, {0, 0, 0});
  KittiObject o;
  o.h = o.w = o.l = 2;
  o.x = 0, o.y = 1, o.z = 10;
  auto box = lidardet::project_kitti_box(o, c, 200, 200);
  ASSERT_TRUE(box);
  const double lo = 50 - 100.0 / 9, hi = 50 + 100.0 / 9;
  EXPECT_NEAR((*box)[0], lo, 1e-9);
  EXPECT_NEAR((*box)[1], lo, 1e-9);
  EXPECT_NEAR((*box)[2], hi, 1e-9);
  EXPECT_NEAR((*box)[3], hi, 1e-9);
  // Clipped to x <= W - 1 and y <= H - 1.
  box = lidardet::project_kitti_box(o, c, 55, 45);
  ASSERT_TRUE(box);
  EXPECT_EQ((*box)[2], 54.0);
  EXPECT_EQ((*box)[3], 44.0);
  EXPECT_NEAR((*box)[0], lo, 1e-9);
  // Behind the camera or wholly outside the image: no box.
  o.z = 0.5;
  EXPECT_FALSE(lidardet::project_kitti_box(o, c, 200, 200));
  o.z = 10, o.x = 100;
  EXPECT_FALSE(lidardet::project_kitti_box(o, c, 200, 200));
}

TEST(KittiBox, CornersFollowTheLabelConvention) {
  KittiObject o;
  o.h = 2, o.w = 1, o.l = 4, o.x = 1, o.y = 3, o.z = 5, o.ry = kPi / 2;
  // Ry(pi/2) maps the length axis (cam +x) to cam -z.
  double ymin = 1e9, ymax = -1e9, zmin = 1e9, zmax = -1e9, xmin = 1e9, xmax = -1e9;
  for (const auto& p : lidardet::kitti_corners_rect(o)) {
    xmin = std::min(xmin, p.x()), xmax = std::max(xmax, p.x());
    ymin = std::min(ymin, p.y()), ymax = std::max(ymax, p.y());
    zmin = std::min(zmin, p.z()), zmax = std::max(zmax, p.z());
  }
  EXPECT_NEAR(ymax, 3, 1e-12);  // bottom face at the label's y
  EXPECT_NEAR(ymin, 1, 1e-12);  // top at y - h
  EXPECT_NEAR(zmax - zmin, 4, 1e-12);
  EXPECT_NEAR(xmax - xmin, 1, 1e-12);
}

class RealCalibTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto path = t::shared_data(kRoot + "calib/000000.txt");
    LIDARDET_REQUIRE_SHARED(path);
    calib_ = lidardet::read_kitti_calib(path);
  }
  KittiCalib calib_;
};

TEST_F(RealCalibTest, BoxToLabelRoundTripWithin1e6) {
  std::mt19937 rng(2024);
  std::uniform_real_distribution<double> pos(-70, 70), zpos(-3, 2), dim(0.3, 12), yaw(-kPi, kPi);
  for (int i = 0; i < 500; ++i) {
    Box3D b{pos(rng), pos(rng), zpos(rng), dim(rng), dim(rng), dim(rng), yaw(rng), "Car", 0.75f};
    const KittiObject o = lidardet::box_to_kitti(b, calib_, true);
    EXPECT_TRUE(o.has_score);
    EXPECT_EQ(o.score, 0.75);
    EXPECT_EQ(o.h, b.h);
    EXPECT_EQ(o.l, b.l);
    EXPECT_NEAR(o.alpha, lidardet::kitti_alpha(o.ry, o.x, o.z), 1e-12);
    const Box3D r = lidardet::kitti_to_box(o, calib_);
    ASSERT_NEAR(r.x, b.x, 1e-6) << i;
    ASSERT_NEAR(r.y, b.y, 1e-6) << i;
    ASSERT_NEAR(r.z, b.z, 1e-6) << i;
    ASSERT_NEAR(lidardet::wrap_angle(r.yaw - b.yaw), 0, 1e-9) << i;
    EXPECT_EQ(r.label, "Car");
    EXPECT_EQ(r.score, 0.75f);
  }
}

TEST_F(RealCalibTest, LabelToBoxRoundTripWithin1e6) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> x(-20, 20), y(0.5, 3), z(2, 70), ry(-kPi, kPi);
  for (int i = 0; i < 500; ++i) {
    KittiObject o;
    o.type = "Pedestrian";
    o.h = 1.8, o.w = 0.6, o.l = 0.8;
    o.x = x(rng), o.y = y(rng), o.z = z(rng), o.ry = ry(rng);
    const KittiObject r = lidardet::box_to_kitti(lidardet::kitti_to_box(o, calib_), calib_);
    ASSERT_NEAR(r.x, o.x, 1e-6) << i;
    ASSERT_NEAR(r.y, o.y, 1e-6) << i;
    ASSERT_NEAR(r.z, o.z, 1e-6) << i;
    ASSERT_NEAR(lidardet::wrap_angle(r.ry - o.ry), 0, 1e-9) << i;
  }
}

TEST_F(RealCalibTest, RealPedestrianBoxAndPointsInside) {
  const auto label = t::shared_data(kRoot + "label_2/000000.txt");
  const auto bin = t::shared_data(kRoot + "velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(label);
  LIDARDET_REQUIRE_SHARED(bin);
  const auto objs = lidardet::read_kitti_labels(label);
  ASSERT_EQ(objs.size(), 1u);
  const Box3D b = lidardet::kitti_to_box(objs[0], calib_);
  // Expectations from the shared data README (an independent script).
  EXPECT_NEAR(b.x, 8.731, 5e-4);
  EXPECT_NEAR(b.y, -1.856, 5e-4);
  EXPECT_NEAR(b.z, -0.655, 5e-4);
  EXPECT_NEAR(b.yaw, -1.581, 5e-4);
  EXPECT_EQ(b.label, "Pedestrian");
  const auto cloud = lidardet::read_velodyne_bin(bin);
  EXPECT_EQ(lidardet::count_points_in_box(b, cloud.view()), 377u);
  // The stored alpha (-0.20) agrees with ry - atan2(x, z) up to the file's 2 decimals.
  EXPECT_NEAR(lidardet::kitti_alpha(objs[0].ry, objs[0].x, objs[0].z), objs[0].alpha, 0.011);
}

TEST_F(RealCalibTest, ProjectedPedestrianOverlapsTheAnnotated2DBox) {
  const auto label = t::shared_data(kRoot + "label_2/000000.txt");
  LIDARDET_REQUIRE_SHARED(label);
  const auto o = lidardet::read_kitti_labels(label).at(0);
  // KITTI training frame 000000 is 1224 x 370 (the pedestrian is well inside it).
  const auto box = lidardet::project_kitti_box(o, calib_, 1224, 370);
  ASSERT_TRUE(box);
  // The 2D box was drawn by hand, the 3D box fitted separately: they agree to a few pixels in
  // position and overlap strongly.
  const auto& a = o.bbox;
  const auto& p = *box;
  const double iw = std::min(a[2], p[2]) - std::max(a[0], p[0]);
  const double ih = std::min(a[3], p[3]) - std::max(a[1], p[1]);
  ASSERT_GT(iw, 0);
  ASSERT_GT(ih, 0);
  const double inter = iw * ih;
  const double uni = (a[2] - a[0]) * (a[3] - a[1]) + (p[2] - p[0]) * (p[3] - p[1]) - inter;
  EXPECT_GT(inter / uni, 0.7) << p[0] << " " << p[1] << " " << p[2] << " " << p[3];
}

}  // namespace
