// The real Waymo v1 record in ../shared/data/waymo_real. Expectations are the facts its README
// lists, found by an independent decoder.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "common/test_paths.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/range_image.hpp"
#include "io/waymo/segment_reader.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

namespace {
const std::string kPath = "waymo_real/one_frame.tfrecord";
constexpr double kDeg = std::numbers::pi / 180.0;

Frame read_single_frame(const std::string& path) {
  SegmentReader reader(path);
  Frame f;
  EXPECT_TRUE(reader.next(f));
  Frame extra;
  EXPECT_FALSE(reader.next(extra)) << "the real file holds one record";
  return f;
}
}  // namespace

TEST(RealFrame, ContextLabelsAndCalibrations) {
  const std::string path = test::shared_data(kPath);
  LIDARDET_REQUIRE_SHARED(path);
  const Frame f = read_single_frame(path);
  EXPECT_EQ(f.context.name, "1024360143612057520_3580_000_3600_000");
  EXPECT_EQ(f.num_images, 5u);
  EXPECT_EQ(f.context.camera_calibrations.size(), 5u);

  const LabelSummary s = summarize_labels(f);
  EXPECT_EQ(f.laser_labels.size(), 75u);
  EXPECT_EQ(s.by_type[int(WaymoType::kVehicle)], 37u);
  EXPECT_EQ(s.by_type[int(WaymoType::kPedestrian)], 12u);
  EXPECT_EQ(s.by_type[int(WaymoType::kSign)], 25u);
  EXPECT_EQ(s.by_type[int(WaymoType::kCyclist)], 1u);
  std::size_t level2 = 0, none = 0, zero_point_signs = 0;
  for (const auto& l : f.laser_labels) {
    level2 += l.detection_difficulty_level == 2;
    none += l.detection_difficulty_level == 0;
    zero_point_signs += l.type == WaymoType::kSign && l.num_lidar_points_in_box == 0;
    EXPECT_EQ(l.context_name, f.context.name);
    EXPECT_EQ(l.frame_timestamp_micros, f.timestamp_micros);
    EXPECT_GT(l.box.l, 0);
    EXPECT_FALSE(l.id.empty());
  }
  EXPECT_EQ(level2, 15u);
  EXPECT_EQ(none, 60u);
  EXPECT_EQ(s.points_in_boxes, 44021);
  EXPECT_EQ(zero_point_signs, 2u);

  // Calibrations in file order FRONT, REAR, SIDE_LEFT, SIDE_RIGHT, TOP.
  ASSERT_EQ(f.context.laser_calibrations.size(), 5u);
  const int order[] = {2, 5, 3, 4, 1};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(f.context.laser_calibrations[i].name, order[i]) << i;

  const LaserCalibration* top = f.calibration(int(LaserName::kTop));
  ASSERT_NE(top, nullptr);
  ASSERT_EQ(top->beam_inclinations.size(), 64u);
  EXPECT_NEAR(top->beam_inclinations.front() / kDeg, -17.547, 0.001);
  EXPECT_NEAR(top->beam_inclinations.back() / kDeg, 2.503, 0.001);
  EXPECT_TRUE(std::is_sorted(top->beam_inclinations.begin(), top->beam_inclinations.end()));
  EXPECT_NEAR(top->extrinsic[3], 1.43, 0.01);
  EXPECT_NEAR(top->extrinsic[11], 2.184, 0.01);
  // Row 0 is the highest beam after reversal.
  const auto rows = row_inclinations(*top, 64, "test");
  EXPECT_NEAR(rows[0] / kDeg, 2.503, 0.001);
  EXPECT_NEAR(rows[63] / kDeg, -17.547, 0.001);

  // FRONT is uniform, -90..+30 degrees.
  const LaserCalibration* front = f.calibration(int(LaserName::kFront));
  ASSERT_NE(front, nullptr);
  EXPECT_TRUE(front->beam_inclinations.empty());
  ASSERT_TRUE(front->beam_inclination_min && front->beam_inclination_max);
  EXPECT_NEAR(*front->beam_inclination_min / kDeg, -90, 0.01);
  EXPECT_NEAR(*front->beam_inclination_max / kDeg, 30, 0.01);

  // Frame pose yaw -43.79 degrees (data.md §3 correction).
  EXPECT_NEAR(std::atan2(f.pose[4], f.pose[0]) / kDeg, -43.79, 0.01);
}

TEST(RealFrame, EmptyLasersGiveZeroPoints) {
  const std::string path = test::shared_data(kPath);
  LIDARDET_REQUIRE_SHARED(path);
  const Frame f = read_single_frame(path);
  EXPECT_EQ(f.lasers.size(), 5u);
  const FramePoints fp = frame_points(f, path);
  EXPECT_EQ(fp.cloud.size(), 0u);
  for (int l = 0; l < kNumLaserNames; ++l) EXPECT_EQ(fp.count(l), 0u);
}

TEST(RealFrame, ReencodingKeepsEveryDecodedField) {
  const std::string path = test::shared_data(kPath);
  LIDARDET_REQUIRE_SHARED(path);
  const Frame f = read_single_frame(path);
  Frame back = decode_frame(encode_frame(f), "re-encoded");
  back.num_images = f.num_images;  // images are not written back
  EXPECT_EQ(back, f);
}
