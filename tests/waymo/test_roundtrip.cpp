// Round trips through lidardet's own Waymo writer: ground-truth points -> range images ->
// TFRecord Frames -> reader -> points. Calibrations come from the real frame when the shared
// data is present (TOP with its 64 real inclinations and 148 degree yaw), else from a synthetic
// set of the same shape.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "core/geometry.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/segment_reader.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

namespace {
constexpr double kPi = std::numbers::pi;

Transform yaw_transform(double yaw, double x, double y, double z) {
  const double c = std::cos(yaw), s = std::sin(yaw);
  return {c, -s, 0, x, s, c, 0, y, 0, 0, 1, z, 0, 0, 0, 1};
}

std::vector<LaserCalibration> calibrations() {
  const std::string real = test::shared_data("waymo_real/one_frame.tfrecord");
  if (test::exists(real)) {
    SegmentReader reader(real);
    Frame f;
    reader.next(f);
    return f.context.laser_calibrations;
  }
  std::vector<LaserCalibration> out;
  LaserCalibration top;
  top.name = int(LaserName::kTop);
  for (int i = 0; i < 64; ++i) top.beam_inclinations.push_back((-17.5 + 20.0 * i / 63) * kPi / 180);
  top.extrinsic = yaw_transform(148 * kPi / 180, 1.43, 0, 2.184);
  out.push_back(top);
  const double yaws[] = {0, 88.8, -92, 180};
  const double xs[] = {4.07, 3.245, 3.245, -1.155}, ys[] = {0, 1.025, -1.025, 0};
  for (int k = 0; k < 4; ++k) {
    LaserCalibration c;
    c.name = 2 + k;
    c.beam_inclination_min = -kPi / 2;
    c.beam_inclination_max = kPi / 6;
    c.extrinsic = yaw_transform(yaws[k] * kPi / 180, xs[k], ys[k], 0.8);
    out.push_back(c);
  }
  return out;
}

// A ground-truth point that the test places inside pixel (row, col), away from its centre by up
// to 0.4 of the pixel's size in each direction.
struct Source {
  int row, col;
  double p[3];
  double range;
  float intensity, elongation;
  bool second;  // a farther point behind a first one, along the same direction
};

// Sensor-frame direction of (elevation, sensor azimuth) moved to the vehicle frame.
void to_vehicle(const Transform& e, double range, double el, double az, double out[3]) {
  const double s[3] = {range * std::cos(el) * std::cos(az), range * std::cos(el) * std::sin(az),
                       range * std::sin(el)};
  for (int i = 0; i < 3; ++i)
    out[i] = e[4 * i] * s[0] + e[4 * i + 1] * s[1] + e[4 * i + 2] * s[2] + e[4 * i + 3];
}

// Elevation and azimuth of a vehicle-frame point seen from the sensor, in sensor axes.
void sensor_angles(const Transform& e, const float p[3], double& el, double& az) {
  const double d[3] = {p[0] - e[3], p[1] - e[7], p[2] - e[11]};
  double s[3];
  for (int i = 0; i < 3; ++i) s[i] = e[i] * d[0] + e[4 + i] * d[1] + e[8 + i] * d[2];
  el = std::atan2(s[2], std::hypot(s[0], s[1]));
  az = std::atan2(s[1], s[0]);
}

struct LaserCase {
  LaserCalibration calib;
  int H, W;
  std::vector<double> rows;  // row inclinations, row 0 highest
  std::vector<Source> sources;
};

LaserCase make_case(const LaserCalibration& calib, std::mt19937_64& rng) {
  LaserCase lc;
  lc.calib = calib;
  const bool top = calib.name == int(LaserName::kTop);
  lc.H = top ? 64 : 200;
  lc.W = top ? 2650 : 600;
  lc.rows = row_inclinations(calib, lc.H, "test");
  const double fill = top ? 0.25 : 0.04;
  const double max_range = top ? 74.0 : 19.0;
  std::uniform_real_distribution<double> u(0, 1), jitter(-0.4, 0.4), range(1.0, max_range);
  const double az_corr = std::atan2(calib.extrinsic[4], calib.extrinsic[0]);
  for (int r = 0; r < lc.H; ++r) {
    // Half the gap to the nearer neighbour bounds where a point of this row may lie.
    const double up = r > 0 ? lc.rows[r - 1] - lc.rows[r] : lc.rows[r] - lc.rows[r + 1];
    const double down = r + 1 < lc.H ? lc.rows[r] - lc.rows[r + 1] : up;
    const double spacing = std::min(up, down);
    for (int c = 0; c < lc.W; ++c) {
      if (u(rng) > fill) continue;
      Source s{};
      s.row = r, s.col = c;
      const double el = lc.rows[r] + jitter(rng) * spacing;
      const double az =
          ((lc.W - c - 0.5) / lc.W * 2 - 1) * kPi - az_corr + jitter(rng) * 2 * kPi / lc.W;
      s.range = range(rng);
      to_vehicle(calib.extrinsic, s.range, el, az, s.p);
      s.intensity = float(u(rng) * 3);
      s.elongation = float(u(rng));
      lc.sources.push_back(s);
      if (u(rng) < 0.1 && s.range + 3 < max_range) {
        Source b = s;
        b.range = s.range + 3;
        to_vehicle(calib.extrinsic, b.range, el, az, b.p);
        b.second = true;
        b.intensity = float(u(rng));
        lc.sources.push_back(b);
      }
    }
  }
  return lc;
}
}  // namespace

TEST(WaymoRoundTrip, EveryPixelOnePointWithinHalfABeamSpacing) {
  std::mt19937_64 rng(7);
  std::vector<LaserCase> cases;
  for (const auto& c : calibrations()) cases.push_back(make_case(c, rng));
  ASSERT_EQ(cases.size(), 5u);

  SceneFrame scene;
  scene.context_name = "lidardet_roundtrip_000";
  scene.timestamp_micros = 1600000000000000;
  scene.pose = yaw_transform(0.7, 12.5, -3.0, 0.25);
  for (const auto& lc : cases) {
    std::vector<double> xyz;
    std::vector<float> vals;
    for (const auto& s : lc.sources) {
      xyz.insert(xyz.end(), s.p, s.p + 3);
      vals.push_back(s.intensity);
      vals.push_back(s.elongation);
    }
    const RasterisedScan r = rasterise_points(xyz, vals, lc.calib, lc.H, lc.W, 80.0);
    EXPECT_EQ(r.dropped, 0u) << laser_name(lc.calib.name);
    scene.lasers.push_back({lc.calib, r.return1, r.return2});
  }
  // Boxes around a few TOP points, and one far from everything.
  const auto& top_sources = cases[0].calib.name == 1 ? cases[0].sources : cases[4].sources;
  for (int k = 0; k < 6; ++k) {
    const Source& s = top_sources[k * top_sources.size() / 7];
    WaymoObject o;
    o.type = WaymoType::kVehicle;
    o.id = "obj" + std::to_string(k);
    o.box = {s.p[0], s.p[1], s.p[2], 6.0, 4.0, 3.0, 0.3 * k, "", 1.0f};
    scene.labels.push_back(o);
  }
  WaymoObject empty;
  empty.type = WaymoType::kSign;
  empty.id = "far";
  empty.box = {500, 500, 0, 1, 1, 1, 0, "", 1.0f};
  scene.labels.push_back(empty);

  const auto dir = test::temp_dir("waymo_roundtrip");
  const std::string path = (dir / segment_file_name(scene.context_name)).string();
  std::vector<SceneFrame> frames{scene, scene};
  frames[1].timestamp_micros += 100000;
  ASSERT_EQ(write_waymo_segment(path, frames), 2u);

  SegmentReader reader(path);
  Frame f;
  ASSERT_TRUE(reader.next(f));
  EXPECT_EQ(f.context.name, scene.context_name);
  EXPECT_EQ(f.timestamp_micros, scene.timestamp_micros);
  EXPECT_EQ(f.pose, scene.pose);
  EXPECT_EQ(f.context.camera_calibrations.size(), 5u);
  const FramePoints fp = frame_points(f, reader.origin());

  std::size_t offset = 0;
  for (int name = 1; name <= 5; ++name) {
    const LaserCase* lc = nullptr;
    for (const auto& c : cases)
      if (c.calib.name == name) lc = &c;
    ASSERT_NE(lc, nullptr);
    for (int ret = 0; ret < 2; ++ret) {
      // Sources of this return in range-image row-major order: one decoded point each.
      std::vector<const Source*> expect;
      for (const auto& s : lc->sources)
        if (s.second == (ret == 1)) expect.push_back(&s);
      std::stable_sort(expect.begin(), expect.end(), [](const Source* a, const Source* b) {
        return std::pair(a->row, a->col) < std::pair(b->row, b->col);
      });
      ASSERT_EQ(fp.counts[name][ret], expect.size()) << laser_name(name) << " return " << ret + 1;
      const double col_half = kPi / lc->W;
      for (std::size_t i = 0; i < expect.size(); ++i) {
        const Source& s = *expect[i];
        const float* p = fp.cloud.row(offset + i);
        double el_d, az_d;
        sensor_angles(lc->calib.extrinsic, p, el_d, az_d);
        const float src[3] = {float(s.p[0]), float(s.p[1]), float(s.p[2])};
        double el_s, az_s;
        sensor_angles(lc->calib.extrinsic, src, el_s, az_s);
        const int r = s.row;
        const double up = r > 0 ? lc->rows[r - 1] - lc->rows[r] : lc->rows[r] - lc->rows[r + 1];
        const double down = r + 1 < lc->H ? lc->rows[r] - lc->rows[r + 1] : up;
        ASSERT_LE(std::abs(el_d - el_s), 0.5 * std::min(up, down) + 1e-5)
            << laser_name(name) << " point " << i << " row " << r;
        ASSERT_LE(std::abs(std::remainder(az_d - az_s, 2 * kPi)), col_half + 1e-5)
            << laser_name(name) << " point " << i;
        const double range =
            std::hypot(p[0] - lc->calib.extrinsic[3], p[1] - lc->calib.extrinsic[7],
                       p[2] - lc->calib.extrinsic[11]);
        ASSERT_NEAR(range, s.range, 1e-4 * s.range + 1e-4) << laser_name(name) << " point " << i;
        ASSERT_EQ(p[3], s.intensity);
        ASSERT_EQ(p[4], s.elongation);
        ASSERT_EQ(p[5], -1.f);
      }
      offset += expect.size();
    }
  }
  EXPECT_EQ(offset, fp.cloud.size());

  // Points in boxes recomputed from the decoded points equal what the writer stored.
  ASSERT_EQ(f.laser_labels.size(), scene.labels.size());
  int nonzero = 0;
  for (const auto& l : f.laser_labels) {
    EXPECT_EQ(std::size_t(l.num_lidar_points_in_box), count_points_in_box(l.box, fp.cloud.view()))
        << l.id;
    nonzero += l.num_lidar_points_in_box > 0;
    EXPECT_EQ(l.context_name, scene.context_name);
  }
  EXPECT_EQ(nonzero, 6);
  EXPECT_EQ(f.laser_labels.back().num_lidar_points_in_box, 0);

  ASSERT_TRUE(reader.next(f));
  EXPECT_EQ(f.timestamp_micros, scene.timestamp_micros + 100000);
  EXPECT_FALSE(reader.next(f));
}

TEST(WaymoRoundTrip, SegmentWriterLeavesNothingWhenNotFinished) {
  const auto dir = test::temp_dir("waymo_unfinished");
  const std::string path = (dir / "seg.tfrecord").string();
  {
    SegmentWriter w(path);
    SceneFrame s;
    s.context_name = "x";
    w.write(build_frame(s));
  }
  EXPECT_FALSE(test::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(WaymoRoundTrip, WriterRejectsImageShapesThatDisagreeWithCalibration) {
  SceneFrame s;
  s.context_name = "x";
  LaserScan scan;
  scan.calibration = calibrations()[0];
  scan.return1.dims = {10, 20, 4};  // TOP has 64 rows
  scan.return1.data.assign(800, -1.f);
  if (scan.calibration.beam_inclinations.empty()) scan.calibration.beam_inclinations = {0.0, 0.1};
  s.lasers.push_back(scan);
  EXPECT_THROW(build_frame(s), Error);
}

TEST(WaymoRoundTrip, TwoHundredFrameSegmentStreamsInOrder) {
  // A 200-frame segment (one small laser per frame) written and read one frame at a time.
  const auto dir = test::temp_dir("waymo_200");
  const std::string path = (dir / "seg.tfrecord").string();
  SceneFrame s;
  s.context_name = "long";
  LaserScan scan;
  scan.calibration = calibrations()[0];
  const int H = scan.calibration.beam_inclinations.empty()
                    ? 64
                    : static_cast<int>(scan.calibration.beam_inclinations.size());
  ASSERT_GE(H * 8, 200);
  scan.return1.dims = {H, 8, 4};
  scan.return1.data.assign(std::size_t(H) * 8 * 4, -1.f);
  {
    SegmentWriter w(path);
    for (int i = 0; i < 200; ++i) {
      s.timestamp_micros = 1000000 + 100000 * i;
      scan.return1.data[std::size_t(i) * 4] = 10.f + i;  // pixel i: one more point per frame
      s.lasers = {scan};
      w.write(build_frame(s));
    }
    w.finish();
  }
  SegmentReader reader(path);
  Frame f;
  int n = 0;
  while (reader.next(f)) {
    EXPECT_EQ(f.timestamp_micros, 1000000 + 100000 * n);
    const std::size_t points = frame_points(f, reader.origin()).cloud.size();
    EXPECT_EQ(points, std::size_t(n + 1));
    ++n;
  }
  EXPECT_EQ(n, 200);
  EXPECT_EQ(reader.index(), 199);
}
