#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "common/test_paths.hpp"
#include "io/kitti_velodyne.hpp"
#include "io_test_util.hpp"

namespace {

using lidardet::PointCloud;
using lidardet::read_velodyne_bin;
using lidardet::write_velodyne_bin;
namespace t = lidardet::test;

std::string floats_as_bytes(std::initializer_list<float> v) {
  std::string s(v.size() * sizeof(float), '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

TEST(KittiVelodyne, ReadsRowsInFileOrderWithKittiChannels) {
  const auto dir = t::temp_dir("velo_read");
  t::write_raw(dir / "a.bin", floats_as_bytes({1, 2, 3, 0.5f, -4, -5, -6, 0.25f}));
  const PointCloud c = read_velodyne_bin((dir / "a.bin").string());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.channels(), (std::vector<std::string>{"x", "y", "z", "intensity"}));
  EXPECT_EQ(c(0, 0), 1.f);
  EXPECT_EQ(c(0, 3), 0.5f);
  EXPECT_EQ(c(1, 2), -6.f);
  EXPECT_EQ(c(1, 3), 0.25f);
}

TEST(KittiVelodyne, RoundTripIsBitExact) {
  const auto dir = t::temp_dir("velo_rt");
  PointCloud c;
  // Values that a text or double detour would alter: -0, denormals, extremes, odd fractions.
  const float special[] = {-0.0f, std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::max(), 1.0f / 3.0f};
  c.push_back(special);
  for (int i = 0; i < 1000; ++i) {
    const float v[4] = {std::sin(i * 0.37f) * 80.f, std::cos(i * 0.11f) * 40.f, -1.73f + i * 1e-4f,
                        static_cast<float>(i % 97) / 97.f};
    c.push_back(v);
  }
  const auto path = (dir / "rt.bin").string();
  write_velodyne_bin(path, c);
  EXPECT_EQ(std::filesystem::file_size(path), c.size() * 16);
  const PointCloud back = read_velodyne_bin(path);
  ASSERT_EQ(back.size(), c.size());
  EXPECT_EQ(std::memcmp(back.data(), c.data(), c.size() * 16), 0);
  EXPECT_TRUE(std::signbit(back(0, 0)));
}

TEST(KittiVelodyne, WriterKeepsTheFirstFourChannels) {
  const auto dir = t::temp_dir("velo_5ch");
  PointCloud c({"x", "y", "z", "intensity", "elongation"});
  const float a[5] = {1, 2, 3, 4, 99}, b[5] = {5, 6, 7, 8, 98};
  c.push_back(a);
  c.push_back(b);
  write_velodyne_bin((dir / "c.bin").string(), c);
  EXPECT_EQ(t::read_raw(dir / "c.bin"), floats_as_bytes({1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(KittiVelodyne, EmptyFileIsAnEmptyCloud) {
  const auto dir = t::temp_dir("velo_empty");
  t::write_raw(dir / "e.bin", "");
  EXPECT_EQ(read_velodyne_bin((dir / "e.bin").string()).size(), 0u);
}

TEST(KittiVelodyne, SizeNotMultipleOf16IsAnErrorNamingTheFile) {
  const auto dir = t::temp_dir("velo_size");
  t::write_raw(dir / "bad.bin", floats_as_bytes({1, 2, 3, 4, 5}));  // 20 bytes
  const auto msg = t::error_of([&] { read_velodyne_bin((dir / "bad.bin").string()); });
  EXPECT_NE(msg.find("bad.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("20 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("multiple of 16"), std::string::npos) << msg;
}

TEST(KittiVelodyne, NonFiniteValuesAreErrorsNamingPointAndField) {
  const auto dir = t::temp_dir("velo_nan");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  t::write_raw(dir / "nan.bin", floats_as_bytes({0, 0, 0, 0, 1, nan, 1, 0}));
  auto msg = t::error_of([&] { read_velodyne_bin((dir / "nan.bin").string()); });
  EXPECT_NE(msg.find("nan.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("field 'y'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("point 1 "), std::string::npos) << msg;
  t::write_raw(dir / "inf.bin", floats_as_bytes({0, 0, -inf, 0}));
  msg = t::error_of([&] { read_velodyne_bin((dir / "inf.bin").string()); });
  EXPECT_NE(msg.find("field 'z'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("point 0 "), std::string::npos) << msg;
}

TEST(KittiVelodyne, MissingFileIsAnError) {
  const auto msg = t::error_of([] { read_velodyne_bin("/nonexistent/dir/000000.bin"); });
  EXPECT_NE(msg.find("/nonexistent/dir/000000.bin"), std::string::npos) << msg;
}

TEST(KittiVelodyne, WriterRejectsTooFewChannelsAndLeavesNothing) {
  const auto dir = t::temp_dir("velo_3ch");
  PointCloud c({"x", "y", "z"});
  const float p[3] = {1, 2, 3};
  c.push_back(p);
  EXPECT_THROW(write_velodyne_bin((dir / "x.bin").string(), c), lidardet::Error);
  EXPECT_EQ(t::count_entries(dir), 0u);
  // A folder that does not exist: an error, and no partial file anywhere.
  EXPECT_THROW(write_velodyne_bin((dir / "missing" / "x.bin").string(), PointCloud{}),
               lidardet::Error);
  EXPECT_EQ(t::count_entries(dir), 0u);
}

TEST(KittiVelodyne, RealFrameReadsAndRewritesIdentically) {
  const auto path = t::shared_data("kitti_real/training/velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(path);
  const PointCloud c = read_velodyne_bin(path);
  EXPECT_EQ(c.size(), 20285u);  // the data README's count (324560 bytes / 16)
  // FOV-cropped: every point is in front of the sensor; reflectance lies in [0, 1].
  for (std::size_t i = 0; i < c.size(); ++i) {
    ASSERT_GT(c.x(i), 0.f) << i;
    ASSERT_GE(c(i, 3), 0.f) << i;
    ASSERT_LE(c(i, 3), 1.f) << i;
  }
  const auto dir = t::temp_dir("velo_real");
  write_velodyne_bin((dir / "000000.bin").string(), c);
  EXPECT_EQ(t::read_raw(dir / "000000.bin"), t::read_raw(path));
}

}  // namespace
