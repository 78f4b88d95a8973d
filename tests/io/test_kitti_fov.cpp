// FOV_POINTS_ONLY: hand-projected points on a synthetic camera (f = 100 px, centre (50, 50),
// camera at the LiDAR origin): u = 50 - 100 y / x, v = 50 - 100 z / x, depth = x.
#include <gtest/gtest.h>

#include <vector>

#include "io/kitti_fov.hpp"

using lidardet::PointCloud;

TEST(KittiFov, KeepsPointsProjectingInsideTheImageInFrontOfTheCamera) {
  const lidardet::KittiCalib c = lidardet::synthetic_kitti_calib(100, 100, 50, 50, {0, 0, 0});
  PointCloud cloud;  // x, y, z, intensity
  const std::vector<std::vector<float>> rows = {
      {10, 0, 0, 0.1f},        // centre: kept
      {10, 5, 0, 0.2f},        // u = 0: the left edge is inside
      {10, -5, 0, 0.3f},       // u = 100: the right edge is outside
      {10, 0, -4.99f, 0.4f},   // v = 99.9: kept
      {-10, 0, 0, 0.5f},       // behind the camera (projects to the centre): dropped
      {0, 0, 0, 0.6f},         // depth 0, projection NaN: dropped
      {10, 5.001f, 0, 0.7f},   // u just below 0: dropped
      {20, 0, 10.01f, 0.8f}};  // v just below 0: dropped
  for (const auto& r : rows) cloud.push_back(r);
  const PointCloud fov = lidardet::kitti_fov_points(cloud, c, 100, 100);
  ASSERT_EQ(fov.size(), 3u);
  EXPECT_EQ(fov.channels(), cloud.channels());
  EXPECT_FLOAT_EQ(fov(0, 3), 0.1f);  // order and every channel kept
  EXPECT_FLOAT_EQ(fov(1, 3), 0.2f);
  EXPECT_FLOAT_EQ(fov(2, 2), -4.99f);
  EXPECT_FLOAT_EQ(fov(2, 3), 0.4f);
  EXPECT_TRUE(lidardet::kitti_fov_points(PointCloud(), c, 100, 100).empty());
}
