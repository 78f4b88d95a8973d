// Waymo inputs for the detector: streaming sources (TFRecord, OpenPCDet sequences, mmdet3d
// .bin), the raw-channel -> model-feature mapping, detections as Objects, segment labels as
// ground truth.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "io/waymo/detection_input.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/npy.hpp"
#include "io/waymo/processed.hpp"
#include "io/waymo/segment_labels.hpp"

using namespace lidardet;
using namespace lidardet::waymo;
namespace fs = std::filesystem;

namespace {

// A FRONT laser, one row of 4 pixels: pixels 0 and 2 valid in return 1, pixel 1 in return 2.
// Frame i has timestamp 1000 + i and one label of its own type and difficulty.
SceneFrame tiny_frame(const std::string& ctx, int i) {
  SceneFrame scene;
  scene.context_name = ctx;
  scene.timestamp_micros = 1000 + i;
  LaserScan scan;
  scan.calibration.name = int(LaserName::kFront);
  scan.calibration.beam_inclination_min = -0.1;
  scan.calibration.beam_inclination_max = 0.1;
  scan.return1.dims = {1, 4, 4};
  scan.return1.data = {2, 3, 0.5f, -1, -1, 0, 0, -1, 4, 100, 0, 1, -1, 0, 0, -1};
  scan.return2.dims = {1, 4, 4};
  scan.return2.data = {-1, 0, 0, -1, 5, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1};
  scene.lasers.push_back(scan);
  WaymoObject o;
  o.type = i % 2 ? WaymoType::kPedestrian : WaymoType::kVehicle;
  o.detection_difficulty_level = 2;
  // Pixel 0 (column 0 of 4 looks along azimuth 3 pi / 4) at range 2 is the point
  // (-1.414, 1.414, 0): this 1 m box holds it and no other.
  o.box = {-1.4, 1.4, 0, 1, 1, 1, 0, "", 1.f};
  scene.labels.push_back(o);
  return scene;
}

std::string write_tiny_segment(const fs::path& dir, const std::string& ctx, int frames) {
  std::vector<SceneFrame> scenes;
  for (int i = 0; i < frames; ++i) scenes.push_back(tiny_frame(ctx, i));
  const std::string path = (dir / segment_file_name(ctx)).string();
  write_waymo_segment(path, scenes);
  return path;
}

}  // namespace

TEST(WaymoDetectionInput, TfrecordFramesStreamWithIdentityAndPoints) {
  const auto dir = test::temp_dir("waymo_input_tf");
  const std::string seg = write_tiny_segment(dir, "ctx_a", 3);
  ASSERT_EQ(detect_input_kind(seg), InputKind::kTfrecord);
  InputSource src(seg, InputKind::kTfrecord);
  EXPECT_EQ(src.size(), 3u);
  EXPECT_TRUE(src.timestamp_note().empty());
  InputFrame f;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(src.next(f));
    EXPECT_EQ(f.id, "ctx_a_000" + std::to_string(i));
    EXPECT_EQ(f.context_name, "ctx_a");
    EXPECT_EQ(f.timestamp_micros, 1000 + i);
    EXPECT_TRUE(f.timestamp_known);
    if (i == 1) continue;  // a skipped (resumed) frame: points are never asked for
    const PointCloud pts = src.points();
    ASSERT_EQ(pts.size(), 3u);  // two first returns, one second return
    EXPECT_EQ(pts.channels()[5], "nlz");
    EXPECT_FLOAT_EQ(pts(0, 3), 3.0f);  // raw intensity, not squashed here
    EXPECT_FLOAT_EQ(pts(1, 5), 1.0f);  // pixel 2 lies in a no-label zone
    EXPECT_FLOAT_EQ(pts(2, 5), -1.0f);
  }
  EXPECT_FALSE(src.next(f));
}

TEST(WaymoDetectionInput, TruncatedSegmentFailsBeforeTheFirstFrame) {
  const auto dir = test::temp_dir("waymo_input_trunc");
  const std::string seg = write_tiny_segment(dir, "ctx_t", 3);
  fs::resize_file(seg, fs::file_size(seg) - 7);  // the last record loses its tail
  try {
    InputSource src(seg, InputKind::kTfrecord);
    FAIL() << "a truncated segment was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(seg), std::string::npos) << m;
    EXPECT_NE(m.find("record 2"), std::string::npos) << m;
  }
}

TEST(WaymoDetectionInput, OpenPCDetSequenceTakesTimestampsFromItsRawSegment) {
  const auto root = test::temp_dir("waymo_input_opcd");
  const std::string ctx = "ctx_b";
  // Frames 0 and 1 of the sequence, (N, 6) each, in OpenPCDet's layout.
  const float a[12] = {1, 2, 3, 0.5f, 0.1f, -1, 4, 5, 6, 2.0f, 0.2f, 1};
  write_openpcdet_frame(openpcdet_frame_path(root.string(), ctx, 0), [&] {
    PointCloud pc(waymo_point_channels(), 2);
    std::copy(a, a + 12, pc.data());
    return pc;
  }());
  write_openpcdet_frame(openpcdet_frame_path(root.string(), ctx, 1),
                        PointCloud(waymo_point_channels(), 0));
  const fs::path processed = root / kOpenPCDetProcessedDir;
  const fs::path seq = processed / sequence_name(ctx);
  for (const fs::path& p : {root, processed, seq})
    EXPECT_EQ(detect_input_kind(p.string()), InputKind::kOpenPCDet) << p;

  {  // No raw segment beside it: timestamps are frame indices, and the user is told.
    InputSource src(root.string(), InputKind::kOpenPCDet);
    EXPECT_EQ(src.size(), 2u);
    EXPECT_FALSE(src.timestamp_note().empty());
    InputFrame f;
    ASSERT_TRUE(src.next(f));
    EXPECT_EQ(f.context_name, ctx);
    EXPECT_EQ(f.id, ctx + "_0000");
    EXPECT_FALSE(f.timestamp_known);
    EXPECT_EQ(f.timestamp_micros, 0);
    const PointCloud p = src.points();
    ASSERT_EQ(p.size(), 2u);
    EXPECT_FLOAT_EQ(p(1, 3), 2.0f);
    ASSERT_TRUE(src.next(f));
    EXPECT_EQ(f.timestamp_micros, 1);
    EXPECT_EQ(src.points().size(), 0u);
    EXPECT_FALSE(src.next(f));
  }
  // With raw_data/<sequence>.tfrecord (OpenPCDet's layout) the real timestamps are used.
  fs::create_directories(root / "raw_data");
  write_tiny_segment(root / "raw_data", ctx, 2);
  InputSource src(seq.string(), InputKind::kOpenPCDet);
  EXPECT_TRUE(src.timestamp_note().empty());
  InputFrame f;
  ASSERT_TRUE(src.next(f));
  EXPECT_TRUE(f.timestamp_known);
  EXPECT_EQ(f.timestamp_micros, 1000);
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.timestamp_micros, 1001);
}

TEST(WaymoDetectionInput, Mmdet3dBinNamesGiveSegmentAndFrame) {
  const auto dir = test::temp_dir("waymo_input_mmdet");
  PointCloud pc({"x", "y", "z", "intensity", "elongation", "timestamp"}, 1);
  const float row[6] = {1, 2, 3, 4, 5, 6};
  std::copy(row, row + 6, pc.data());
  write_mmdet3d_bin((dir / mmdet3d_bin_name(1, 3, 4)).string(), pc);
  write_mmdet3d_bin((dir / mmdet3d_bin_name(1, 3, 5)).string(), pc);
  EXPECT_FALSE(detect_input_kind(dir.string()).has_value());  // looks like KITTI: ask by name
  InputSource src(dir.string(), InputKind::kMmdet3d);
  EXPECT_EQ(src.size(), 2u);
  InputFrame f;
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.id, "1003004");
  EXPECT_EQ(f.context_name, "1003");
  EXPECT_EQ(f.timestamp_micros, 4);
  EXPECT_FALSE(f.timestamp_known);
  EXPECT_EQ(src.points().channels()[5], "timestamp");
  ASSERT_TRUE(src.next(f));
  EXPECT_EQ(f.timestamp_micros, 5);
}

TEST(WaymoDetectionInput, ModelInputCloudMapsChannelsSquashesIntensityAndDropsNlz) {
  PointCloud raw(waymo_point_channels(), 3);
  const float v[18] = {1, 2, 3, 0.5f,  2.0f, -1,  //
                       4, 5, 6, 40000, 0.3f, 1,   // inside a no-label zone
                       7, 8, 9, 0,     0,    -1};
  std::copy(v, v + 18, raw.data());
  // KITTI-style model: x y z intensity; intensity squashed to [0, 1), NLZ kept.
  PointCloud k = model_input_cloud(raw, {"x", "y", "z", "intensity"}, {}, false, "t");
  ASSERT_EQ(k.size(), 3u);
  ASSERT_EQ(k.num_channels(), 4u);
  EXPECT_FLOAT_EQ(k(0, 3), std::tanh(0.5f));
  EXPECT_FLOAT_EQ(k(1, 3), 1.0f);  // a retroreflector saturates instead of dominating
  EXPECT_FLOAT_EQ(k(2, 2), 9.0f);
  // Waymo model: elongation squashed only when listed; NLZ points dropped (OpenPCDet's rule).
  const std::vector<std::string> used = {"x", "y", "z", "intensity", "elongation"};
  PointCloud w = model_input_cloud(raw, used, {"intensity", "elongation"}, true, "t");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_FLOAT_EQ(w(0, 4), std::tanh(2.0f));
  EXPECT_FLOAT_EQ(w(1, 0), 7.0f);
  PointCloud raw_elong = model_input_cloud(raw, used, {"intensity"}, false, "t");
  EXPECT_FLOAT_EQ(raw_elong(0, 4), 2.0f);
  try {
    model_input_cloud(raw, {"x", "y", "z", "ring"}, {}, false, "seg.tfrecord: frame 3");
    FAIL() << "a missing channel was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("seg.tfrecord: frame 3"), std::string::npos) << m;
    EXPECT_NE(m.find("'ring'"), std::string::npos) << m;
  }
}

TEST(WaymoDetectionInput, DetectionsBecomeObjectsOfTheirWaymoType) {
  EXPECT_EQ(waymo_type_for_class("Car"), WaymoType::kVehicle);
  EXPECT_EQ(waymo_type_for_class("Vehicle"), WaymoType::kVehicle);
  EXPECT_EQ(waymo_type_for_class("pedestrian"), WaymoType::kPedestrian);
  EXPECT_EQ(waymo_type_for_class("Cyclist"), WaymoType::kCyclist);
  EXPECT_EQ(waymo_type_for_class("Sign"), WaymoType::kSign);
  EXPECT_FALSE(waymo_type_for_class("Van").has_value());
  const Box3D b{1, 2, 3, 4, 2, 1.5, 3 * M_PI / 2, "Car", 0.75f};
  const WaymoObject o = object_from_detection(b, "ctx", 42);
  EXPECT_EQ(o.type, WaymoType::kVehicle);
  EXPECT_EQ(o.box.label, "Vehicle");
  EXPECT_EQ(o.context_name, "ctx");
  EXPECT_EQ(o.frame_timestamp_micros, 42);
  EXPECT_FLOAT_EQ(o.score, 0.75f);
  EXPECT_NEAR(o.box.yaw, -M_PI / 2, 1e-12);  // heading normalised to [-pi, pi)
  EXPECT_EQ(o.box.l, 4.0);
  // Through an Objects file and back.
  const auto dir = test::temp_dir("waymo_input_objs");
  write_objects_file((dir / "p.bin").string(), {o});
  const auto back = read_objects_file((dir / "p.bin").string());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].type, WaymoType::kVehicle);
  EXPECT_FLOAT_EQ(back[0].score, 0.75f);
  EXPECT_THROW(object_from_detection({0, 0, 0, 1, 1, 1, 0, "Van", 1.f}, "ctx", 0), Error);
}

TEST(WaymoDetectionInput, SegmentLabelsAreGroundTruthWithDifficultyAndPoints) {
  const auto dir = test::temp_dir("waymo_input_labels");
  write_tiny_segment(dir, "ctx_c", 2);
  write_tiny_segment(dir, "ctx_d", 1);
  const std::string one = (dir / segment_file_name("ctx_c")).string();
  EXPECT_TRUE(is_segment_path(one));
  EXPECT_TRUE(is_segment_path(dir.string()));
  const auto labels = read_segment_labels(one);
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].context_name, "ctx_c");
  EXPECT_EQ(labels[1].frame_timestamp_micros, 1001);
  EXPECT_EQ(labels[1].type, WaymoType::kPedestrian);
  EXPECT_EQ(labels[0].detection_difficulty_level, 2);
  // One decoded point lies in the box (see tiny_frame): the writer counted it.
  EXPECT_EQ(labels[0].num_lidar_points_in_box, 1);
  std::vector<FrameKey> frames;
  const auto all = read_segment_labels(dir.string(), true, &frames);
  ASSERT_EQ(all.size(), 3u);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1], FrameKey("ctx_c", 1001));
  EXPECT_EQ(frames[2], FrameKey("ctx_d", 1000));
  EXPECT_EQ(all[2].context_name, "ctx_d");  // folder read in name order
  const auto empty = test::temp_dir("waymo_input_nolabels");
  EXPECT_FALSE(is_segment_path(empty.string()));
  EXPECT_THROW(read_segment_labels(empty.string()), Error);
}
