#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/point_cloud.hpp"

using lidardet::PointCloud;

TEST(PointCloud, DefaultsToKittiChannels) {
  PointCloud c;
  EXPECT_EQ(c.num_channels(), 4u);
  EXPECT_EQ(c.channel_index("intensity"), 3);
  EXPECT_EQ(c.channel_index("elongation"), -1);
  EXPECT_THROW(c.require_channel("elongation"), lidardet::Error);
}

TEST(PointCloud, RowsAreContiguousAndViewsShareStorage) {
  PointCloud c({"x", "y", "z", "intensity", "elongation"});
  for (int i = 0; i < 5; ++i) {
    const float v[5] = {float(i), float(i) + 0.5f, -1.f, 0.1f * i, 0.f};
    c.push_back(v);
  }
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c.data() + 5 * 3, c.row(3));
  auto v = c.view(2, 4);
  EXPECT_EQ(v.size, 2u);
  EXPECT_EQ(v.data, c.row(2));
  EXPECT_FLOAT_EQ(v(1, 1), 3.5f);
  EXPECT_THROW(c.view(3, 6), lidardet::Error);
  const float bad[3] = {0, 0, 0};
  EXPECT_THROW(c.push_back(bad), lidardet::Error);
}

TEST(PointCloud, FilterKeepsOrder) {
  PointCloud c;
  for (int i = 0; i < 4; ++i) {
    const float v[4] = {float(i), 0, 0, 0};
    c.push_back(v);
  }
  auto f = c.filtered({true, false, true, false});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.x(1), 2.0f);
  EXPECT_THROW(PointCloud({"y", "x", "z"}), lidardet::Error);
}
