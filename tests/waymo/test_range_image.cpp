// Pixel-to-point conversion on tiny hand-built range images whose points are worked out by hand
// from the rules in ../shared/specs/data.md §3.4, plus the error paths for malformed images.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "core/error.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/range_image.hpp"
#include "io/waymo/zlib_codec.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

namespace {
constexpr double kPi = std::numbers::pi;

// One row (inclination 0 from a uniform [-0.1, 0.1] calibration), four columns.
LaserCalibration flat_calibration(const Transform& extrinsic) {
  LaserCalibration c;
  c.name = int(LaserName::kFront);
  c.beam_inclination_min = -0.1;
  c.beam_inclination_max = 0.1;
  c.extrinsic = extrinsic;
  return c;
}

MatrixFloat image(int h, int w) {
  MatrixFloat m;
  m.dims = {h, w, 4};
  m.data.assign(std::size_t(h) * w * 4, -1.f);
  return m;
}

void set_pixel(MatrixFloat& m, int r, int c, float range, float intensity = 0.5f,
               float elongation = 0.25f, float nlz = -1.f) {
  float* p = &m.data[(std::size_t(r) * m.dims[1] + c) * 4];
  p[0] = range, p[1] = intensity, p[2] = elongation, p[3] = nlz;
}

PointCloud cloud() { return PointCloud(waymo_point_channels()); }
}  // namespace

TEST(RangeImage, ColumnsMapToAzimuthsAsDocumented) {
  // W = 4: column c looks along phi = pi (1 - 2 (c + 0.5) / 4): 135, 45, -45, -135 degrees.
  MatrixFloat m = image(1, 4);
  set_pixel(m, 0, 0, 2.f);
  set_pixel(m, 0, 1, 2.f, 7.f, 0.75f, 1.f);
  set_pixel(m, 0, 2, 2.f);
  // Column 3 stays invalid (range -1).
  PointCloud pc = cloud();
  ASSERT_EQ(append_range_image_points(m, flat_calibration(identity_transform()), nullptr,
                                      identity_transform(), pc, "t"),
            3u);
  const double s = std::sqrt(2.0);
  const double expect[3][2] = {{-s, s}, {s, s}, {s, -s}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(pc(i, 0), expect[i][0], 1e-5) << i;
    EXPECT_NEAR(pc(i, 1), expect[i][1], 1e-5) << i;
    EXPECT_NEAR(pc(i, 2), 0.0, 1e-6) << i;
  }
  EXPECT_EQ(pc(1, 3), 7.f);
  EXPECT_EQ(pc(1, 4), 0.75f);
  EXPECT_EQ(pc(1, 5), 1.f);
  EXPECT_EQ(pc(0, 5), -1.f);
}

TEST(RangeImage, ExtrinsicYawIsCancelledByAzimuthCorrection) {
  // A lidar yawed by +90 degrees and mounted at (1, 2, 3): column 1 must still point along
  // vehicle azimuth 45 degrees, offset by the mount position.
  Transform e = {0, -1, 0, 1, 1, 0, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1};
  MatrixFloat m = image(1, 4);
  set_pixel(m, 0, 1, 2.f);
  PointCloud pc = cloud();
  append_range_image_points(m, flat_calibration(e), nullptr, identity_transform(), pc, "t");
  ASSERT_EQ(pc.size(), 1u);
  EXPECT_NEAR(pc(0, 0), 1 + std::sqrt(2.0), 1e-5);
  EXPECT_NEAR(pc(0, 1), 2 + std::sqrt(2.0), 1e-5);
  EXPECT_NEAR(pc(0, 2), 3.0, 1e-6);
}

TEST(RangeImage, ExplicitInclinationsAreReversedRowZeroHighest) {
  LaserCalibration c;
  c.name = int(LaserName::kTop);
  c.beam_inclinations = {-kPi / 6, 0.0, kPi / 6};  // ascending as stored
  MatrixFloat m = image(3, 4);
  set_pixel(m, 0, 1, 1.f);  // row 0: +30 degrees
  set_pixel(m, 2, 1, 1.f);  // row 2: -30 degrees
  PointCloud pc = cloud();
  append_range_image_points(m, c, nullptr, identity_transform(), pc, "t");
  ASSERT_EQ(pc.size(), 2u);
  EXPECT_NEAR(pc(0, 2), 0.5, 1e-6);
  EXPECT_NEAR(pc(1, 2), -0.5, 1e-6);
  EXPECT_NEAR(std::hypot(pc(0, 0), pc(0, 1)), std::cos(kPi / 6), 1e-6);
}

TEST(RangeImage, UniformInclinationsUseRowCentres) {
  LaserCalibration c = flat_calibration(identity_transform());
  c.beam_inclination_min = -0.4;
  c.beam_inclination_max = 0.4;
  const auto rows = row_inclinations(c, 4, "t");
  // Centres of four equal bins of [-0.4, 0.4], highest first.
  EXPECT_NEAR(rows[0], 0.3, 1e-12);
  EXPECT_NEAR(rows[1], 0.1, 1e-12);
  EXPECT_NEAR(rows[3], -0.3, 1e-12);
}

TEST(RangeImage, PixelPoseMovesPointsIntoTheFramePoseVehicleFrame) {
  // Pixel pose: yaw 90 degrees at global (10, 0, 0); frame pose: identity. A point 1 m ahead
  // of the vehicle at pixel time is at global (10, 1, 0).
  MatrixFloat m = image(1, 4);
  set_pixel(m, 0, 1, 1.f);  // 45 degrees in the vehicle frame: (0.7071, 0.7071, 0)
  MatrixFloat pose;
  pose.dims = {1, 4, 6};
  pose.data.assign(24, 0.f);
  for (int c = 0; c < 4; ++c) pose.data[c * 6 + 2] = float(kPi / 2), pose.data[c * 6 + 3] = 10.f;
  PointCloud pc = cloud();
  append_range_image_points(m, flat_calibration(identity_transform()), &pose, identity_transform(),
                            pc, "t");
  ASSERT_EQ(pc.size(), 1u);
  const double h = std::sqrt(0.5);
  EXPECT_NEAR(pc(0, 0), 10 - h, 1e-5);
  EXPECT_NEAR(pc(0, 1), h, 1e-5);
  // Same pose as the frame: unchanged.
  Transform frame = {0, -1, 0, 10, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  PointCloud pc2 = cloud();
  append_range_image_points(m, flat_calibration(identity_transform()), &pose, frame, pc2, "t");
  EXPECT_NEAR(pc2(0, 0), h, 1e-5);
  EXPECT_NEAR(pc2(0, 1), h, 1e-5);
}

TEST(RangeImage, WrongShapesAreClearErrors) {
  LaserCalibration top;
  top.name = int(LaserName::kTop);
  top.beam_inclinations = {-0.1, 0.0, 0.1};
  PointCloud pc = cloud();
  // Two rows but three inclinations.
  try {
    append_range_image_points(image(2, 4), top, nullptr, identity_transform(), pc, "f: record 0");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 rows but the TOP calibration lists 3"),
              std::string::npos)
        << e.what();
  }
  // Three channels.
  MatrixFloat three;
  three.dims = {3, 4, 3};
  three.data.assign(36, 1.f);
  EXPECT_THROW(append_range_image_points(three, top, nullptr, identity_transform(), pc, "f"),
               Error);
  // Pose image of a different size.
  MatrixFloat pose;
  pose.dims = {3, 5, 6};
  pose.data.assign(90, 0.f);
  EXPECT_THROW(append_range_image_points(image(3, 4), top, &pose, identity_transform(), pc, "f"),
               Error);
  // Shape and data disagree inside the serialized matrix.
  MatrixFloat bad = image(3, 4);
  bad.data.pop_back();
  try {
    decode_matrix_float(encode_matrix_float(bad), "f: record 0: Frame.lasers[TOP]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shape [3, 4, 4] needs 48 values, the matrix holds 47"),
              std::string::npos)
        << e.what();
  }
  // Uniform calibration without min/max.
  LaserCalibration none;
  EXPECT_THROW(row_inclinations(none, 4, "f"), Error);
  EXPECT_EQ(pc.size(), 0u);
}

TEST(RangeImage, BadZlibStreamIsAClearError) {
  const std::string good = compress_matrix_float(image(2, 3));
  EXPECT_EQ(decompress_matrix_float(good, "ok"), image(2, 3));
  std::string corrupt = good;
  corrupt[corrupt.size() / 2] ^= 0x5A;
  corrupt[corrupt.size() / 2 + 1] ^= 0x5A;
  EXPECT_THROW(decompress_matrix_float(corrupt, "x"), Error);
  // Truncated stream, garbage after the end, and no zlib header at all.
  EXPECT_THROW(zlib_inflate(good.substr(0, good.size() - 6), "x"), Error);
  EXPECT_THROW(zlib_inflate(good + "zz", "x"), Error);
  try {
    zlib_inflate("not a zlib stream", "seg.tfrecord: record 4: Frame.lasers[TOP]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("seg.tfrecord: record 4: Frame.lasers[TOP]: bad zlib"),
              std::string::npos)
        << e.what();
  }
}

TEST(RangeImage, BothInflatePathsAgree) {
  MatrixFloat m = image(30, 50);
  for (std::size_t i = 0; i < m.data.size(); i += 7) m.data[i] = float(i % 97) * 0.25f;
  const std::string raw = encode_matrix_float(m);
  for (int level : {0, 1, 6, 9}) {
    const std::string z = zlib_deflate(raw, level);
    EXPECT_EQ(zlib_inflate(z, "x"), raw) << level;
    EXPECT_EQ(zlib_inflate(z, "x", 10), raw) << "a too small size hint must still work";
    EXPECT_EQ(zlib_inflate_streaming(z, "x"), raw) << level;
    EXPECT_THROW(zlib_inflate_streaming(z.substr(0, z.size() / 2), "x"), Error);
    EXPECT_THROW(zlib_inflate(z.substr(0, z.size() / 2), "x"), Error);
  }
  char head[4];
  EXPECT_EQ(zlib_peek(zlib_deflate(raw), head, 4), 4u);
  EXPECT_EQ(head[0], 0x0A);  // MatrixFloat.data: field 1, length-delimited
}

TEST(RangeImage, FrameWithCorruptRangeImageNamesTheLaserAndReturn) {
  SceneFrame scene;
  scene.context_name = "ctx";
  LaserScan scan;
  scan.calibration = flat_calibration(identity_transform());
  scan.return1 = image(1, 4);
  set_pixel(scan.return1, 0, 0, 3.f);
  scene.lasers.push_back(scan);
  Frame f = build_frame(scene);
  EXPECT_EQ(frame_points(f, "ok").cloud.size(), 1u);
  f.lasers[0].ri_return2.range_image_compressed = "\x78\x9c garbage";
  try {
    frame_points(f, "seg.tfrecord: record 0");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Frame.lasers[FRONT].ri_return2.range_image_compressed"),
              std::string::npos)
        << e.what();
  }
  // Range images without a calibration.
  Frame g = build_frame(scene);
  g.context.laser_calibrations.clear();
  EXPECT_THROW(frame_points(g, "x"), Error);
}

TEST(RangeImage, RasteriseKeepsTheTwoNearestPerPixel) {
  const LaserCalibration c = flat_calibration(identity_transform());
  // Three points along vehicle azimuth 45 degrees (column 1), ranges 5, 2, 9; one at -45.
  const double h = std::sqrt(0.5);
  const std::vector<double> xyz = {5 * h, 5 * h, 0, 2 * h, 2 * h, 0, 9 * h, 9 * h, 0, h, -h, 0};
  const std::vector<float> vals = {1, 0, 2, 0, 3, 0, 4, 0};
  const RasterisedScan r = rasterise_points(xyz, vals, c, 1, 4, 100.0);
  EXPECT_EQ(r.dropped, 1u);  // the 9 m point
  EXPECT_FLOAT_EQ(r.return1.data[1 * 4 + 0], 2.f);
  EXPECT_FLOAT_EQ(r.return1.data[1 * 4 + 1], 2.f);
  EXPECT_FLOAT_EQ(r.return2.data[1 * 4 + 0], 5.f);
  EXPECT_FLOAT_EQ(r.return1.data[2 * 4 + 0], 1.f);
  EXPECT_FLOAT_EQ(r.return1.data[0], -1.f);
}

TEST(RangeImage, RandomCorruptionIsAnErrorOrDecodesNeverACrash) {
  // A small two-laser frame with labels; every byte of its encoding is in turn overwritten,
  // and random spans are cut out. Decoding either succeeds or throws lidardet::Error.
  SceneFrame scene;
  scene.context_name = "fuzz";
  LaserScan scan;
  scan.calibration = flat_calibration(identity_transform());
  scan.return1 = image(2, 6);
  scan.calibration.beam_inclination_max = 0.3;
  set_pixel(scan.return1, 0, 1, 4.f);
  set_pixel(scan.return1, 1, 5, 2.f);
  scene.lasers.push_back(scan);
  LaserScan top = scan;
  top.calibration.name = int(LaserName::kTop);
  top.calibration.beam_inclinations = {-0.2, 0.1};
  scene.lasers.push_back(top);
  WaymoObject o;
  o.type = WaymoType::kVehicle;
  o.id = "a";
  o.box = {1, 1, 0, 4, 2, 2, 0, "", 1.f};
  scene.labels.push_back(o);
  const std::string good = encode_frame(build_frame(scene));
  std::mt19937 rng(3);
  std::size_t errors = 0, decoded = 0;
  for (std::size_t i = 0; i < good.size(); i += 1 + good.size() / 400) {
    for (unsigned v : {0x00u, 0xFFu, 0x80u, unsigned(rng() & 0xFF)}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      try {
        const Frame f = decode_frame(bad, "fuzz");
        frame_points(f, "fuzz");
        ++decoded;
      } catch (const Error&) {
        ++errors;
      }
    }
    std::string cut = good;
    cut.erase(i, 1 + rng() % 16);
    try {
      frame_points(decode_frame(cut, "fuzz"), "fuzz");
      ++decoded;
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0u);
  EXPECT_GT(decoded, 0u);
}
