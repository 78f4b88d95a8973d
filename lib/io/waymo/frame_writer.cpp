#include "io/waymo/frame_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "core/geometry.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/tfrecord.hpp"

namespace lidardet::waymo {
namespace {

std::string shape_of(const MatrixFloat& m) {
  std::string s = "[";
  for (std::size_t i = 0; i < m.dims.size(); ++i) s += (i ? ", " : "") + std::to_string(m.dims[i]);
  return s + "]";
}

// The range image pose stores (roll, pitch, yaw, x, y, z) with R = Rz(yaw) Ry(pitch) Rx(roll).
std::array<float, 6> pose_to_rpy_xyz(const Transform& p) {
  const double yaw = std::atan2(p[4], p[0]);
  const double pitch = -std::asin(std::clamp(p[8], -1.0, 1.0));
  const double roll = std::atan2(p[9], p[10]);
  return {float(roll), float(pitch), float(yaw), float(p[3]), float(p[7]), float(p[11])};
}

MatrixFloat invalid_image(int h, int w) {
  MatrixFloat m;
  m.dims = {h, w, 4};
  m.data.assign(std::size_t(h) * w * 4, 0.f);
  for (std::size_t i = 0; i < m.data.size(); i += 4) m.data[i] = -1.f, m.data[i + 3] = -1.f;
  return m;
}

}  // namespace

LaserCalibration make_laser_calibration(LaserName name,
                                        const std::vector<double>& inclinations_top_first,
                                        const Transform& extrinsic, bool uniform,
                                        double inclination_min, double inclination_max) {
  LaserCalibration c;
  c.name = static_cast<int>(name);
  c.extrinsic = extrinsic;
  if (uniform) {
    c.beam_inclination_min = inclination_min;
    c.beam_inclination_max = inclination_max;
  } else {
    c.beam_inclinations.assign(inclinations_top_first.rbegin(), inclinations_top_first.rend());
    if (!c.beam_inclinations.empty()) {
      // Half-step edges beyond the first and last rows, as in real calibrations.
      const auto& b = c.beam_inclinations;
      const std::size_t n = b.size();
      c.beam_inclination_min = n > 1 ? b[0] - 0.5 * (b[1] - b[0]) : b[0];
      c.beam_inclination_max = n > 1 ? b[n - 1] + 0.5 * (b[n - 1] - b[n - 2]) : b[n - 1];
    }
  }
  return c;
}

std::vector<CameraCalibration> default_camera_calibrations() {
  std::vector<CameraCalibration> cams;
  for (int name = 1; name <= 5; ++name) {
    CameraCalibration c;
    c.name = name;
    c.width = 1920;
    c.height = name <= 3 ? 1280 : 886;  // FRONT, FRONT_LEFT, FRONT_RIGHT vs SIDE_*
    c.intrinsic = {2055.0, 2055.0, 960.0, c.height / 2.0, 0, 0, 0, 0, 0};
    cams.push_back(c);
  }
  return cams;
}

Frame build_frame(const SceneFrame& scene, const FrameWriterOptions& options) {
  Frame f;
  f.context.name = scene.context_name;
  f.context.stats = scene.stats;
  f.context.camera_calibrations = options.camera_calibrations.empty()
                                      ? default_camera_calibrations()
                                      : options.camera_calibrations;
  f.timestamp_micros = scene.timestamp_micros;
  f.pose = scene.pose;
  std::map<std::pair<int, int>, std::string> zero_projection;  // by (H, W)
  for (const LaserScan& scan : scene.lasers) {
    const int name = scan.calibration.name;
    const std::string where = scene.context_name + " @" + std::to_string(scene.timestamp_micros) +
                              ": laser " + laser_name(name);
    if (name < 1 || name >= kNumLaserNames) throw Error(where + ": laser name must be 1..5");
    if (f.calibration(name)) throw Error(where + ": the laser appears twice");
    const MatrixFloat& r1 = scan.return1;
    if (r1.dims.size() != 3 || r1.dims[2] != 4 ||
        r1.data.size() != std::size_t(r1.dims[0]) * r1.dims[1] * 4)
      throw Error(where + ": return 1 has shape " + shape_of(r1) + " with " +
                  std::to_string(r1.data.size()) + " values, expected [H, W, 4]");
    const int H = r1.dims[0], W = r1.dims[1];
    row_inclinations(scan.calibration, H, where);  // throws when rows and calibration disagree
    const MatrixFloat r2 = scan.return2.dims.empty() ? invalid_image(H, W) : scan.return2;
    if (r2.dims != r1.dims || r2.data.size() != r1.data.size())
      throw Error(where + ": return 2 has shape " + shape_of(r2) + ", return 1 " + shape_of(r1));

    f.context.laser_calibrations.push_back(scan.calibration);
    Laser laser;
    laser.name = name;
    auto& proj = zero_projection[{H, W}];
    if (proj.empty()) proj = compressed_zero_camera_projection(H, W, options.zlib_level);
    laser.ri_return1.range_image_compressed = compress_matrix_float(r1, options.zlib_level);
    laser.ri_return1.camera_projection_compressed = proj;
    laser.ri_return2.range_image_compressed = compress_matrix_float(r2, options.zlib_level);
    laser.ri_return2.camera_projection_compressed = proj;
    if (name == static_cast<int>(LaserName::kTop)) {
      // A sweep without ego motion: every pixel carries the frame pose.
      MatrixFloat pose;
      pose.dims = {H, W, 6};
      pose.data.resize(std::size_t(H) * W * 6);
      const auto p = pose_to_rpy_xyz(scene.pose);
      for (std::size_t i = 0; i < pose.data.size(); i += 6)
        std::copy(p.begin(), p.end(), pose.data.begin() + i);
      laser.ri_return1.range_image_pose_compressed =
          compress_matrix_float(pose, options.zlib_level);
    }
    f.lasers.push_back(std::move(laser));
  }
  std::sort(f.lasers.begin(), f.lasers.end(),
            [](const Laser& a, const Laser& b) { return a.name < b.name; });

  // Points in boxes are counted on exactly the points a reader will decode.
  const FramePoints points = frame_points(f, scene.context_name);
  const PointCloudView view = points.cloud.view();
  for (WaymoObject label : scene.labels) {
    label.context_name = scene.context_name;
    label.frame_timestamp_micros = scene.timestamp_micros;
    label.box.label = type_name(label.type);
    label.num_lidar_points_in_box = static_cast<std::int32_t>(count_points_in_box(label.box, view));
    label.num_top_lidar_points_in_box = static_cast<std::int32_t>(count_points_in_box(
        label.box, points.cloud.view(0, points.count(static_cast<int>(LaserName::kTop)))));
    f.laser_labels.push_back(std::move(label));
  }
  return f;
}

SegmentWriter::SegmentWriter(const std::string& path)
    : path_(path), tmp_(path + ".tmp" + std::to_string(::getpid())) {
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(path + ": cannot create the segment file (" + tmp_ + ")");
}

SegmentWriter::~SegmentWriter() {
  if (!done_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void SegmentWriter::write(const Frame& frame) {
  if (done_) throw Error(path_ + ": segment already finished");
  write_tfrecord(out_, encode_frame(frame));
  if (!out_) throw Error(path_ + ": write failed at frame " + std::to_string(frames_));
  ++frames_;
}

void SegmentWriter::finish() {
  out_.flush();
  out_.close();
  if (!out_) throw Error(path_ + ": write failed while closing");
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw Error(path_ + ": cannot move the finished segment into place: " + ec.message());
  done_ = true;
}

std::size_t write_waymo_segment(const std::string& path, const std::vector<SceneFrame>& frames,
                                const FrameWriterOptions& options) {
  SegmentWriter writer(path);
  for (const auto& f : frames) writer.write(build_frame(f, options));
  writer.finish();
  return writer.frames();
}

RasterisedScan rasterise_points(const std::vector<double>& xyz, const std::vector<float>& values,
                                const LaserCalibration& calib, int height, int width,
                                double max_range) {
  if (xyz.size() % 3) throw Error("rasterise_points: xyz must hold 3 values per point");
  const std::size_t n = xyz.size() / 3;
  if (!values.empty() && values.size() != 2 * n)
    throw Error("rasterise_points: values must hold intensity and elongation per point");
  const std::vector<double> incl = row_inclinations(calib, height, "rasterise_points");
  RasterisedScan out;
  out.return1 = invalid_image(height, width);
  out.return2 = invalid_image(height, width);
  float* r1 = out.return1.data.data();
  float* r2 = out.return2.data.data();
  for (std::size_t i = 0; i < n; ++i) {
    PixelIndex px;
    if (!point_to_pixel(&xyz[3 * i], calib.extrinsic, incl, width, px) || px.range > max_range) {
      ++out.dropped;
      continue;
    }
    const std::size_t k = (std::size_t(px.row) * width + px.col) * 4;
    const float v[4] = {float(px.range), values.empty() ? 0.f : values[2 * i],
                        values.empty() ? 0.f : values[2 * i + 1], -1.f};
    // Keep the two nearest per pixel: return 1 the nearest, return 2 the next.
    if (r1[k] <= 0 || v[0] < r1[k]) {
      if (r1[k] > 0) {
        if (r2[k] > 0) ++out.dropped;
        std::copy(r1 + k, r1 + k + 4, r2 + k);
      }
      std::copy(v, v + 4, r1 + k);
    } else if (r2[k] <= 0 || v[0] < r2[k]) {
      if (r2[k] > 0) ++out.dropped;
      std::copy(v, v + 4, r2 + k);
    } else {
      ++out.dropped;
    }
  }
  return out;
}

std::string segment_file_name(const std::string& context_name) {
  return "segment-" + context_name + "_with_camera_labels.tfrecord";
}

}  // namespace lidardet::waymo
