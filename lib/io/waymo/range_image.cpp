#include "io/waymo/range_image.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "io/waymo/proto_wire.hpp"
#include "io/waymo/zlib_codec.hpp"

namespace lidardet::waymo {
namespace {

std::string shape_str(const std::vector<std::int32_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// Row-major 3x4 rigid transform in double.
struct Rigid {
  double m[12];
  void apply(const double p[3], double q[3]) const {
    for (int i = 0; i < 3; ++i)
      q[i] = m[4 * i] * p[0] + m[4 * i + 1] * p[1] + m[4 * i + 2] * p[2] + m[4 * i + 3];
  }
};

Rigid rigid_from(const Transform& t) {
  Rigid r;
  std::copy(t.begin(), t.begin() + 12, r.m);
  return r;
}

// inv(frame_pose) * pixel_pose, with pixel_pose = [Rz(yaw) Ry(pitch) Rx(roll) | xyz]. The
// translations are subtracted before rotating, so that global coordinates of tens of
// kilometres do not cost precision.
Rigid pixel_to_frame(const float pose[6], const Transform& frame) {
  const double cr = std::cos(pose[0]), sr = std::sin(pose[0]);
  const double cp = std::cos(pose[1]), sp = std::sin(pose[1]);
  const double cy = std::cos(pose[2]), sy = std::sin(pose[2]);
  const double R[9] = {cy * cp,
                       cy * sp * sr - sy * cr,
                       cy * sp * cr + sy * sr,
                       sy * cp,
                       sy * sp * sr + cy * cr,
                       sy * sp * cr - cy * sr,
                       -sp,
                       cp * sr,
                       cp * cr};
  const double d[3] = {pose[3] - frame[3], pose[4] - frame[7], pose[5] - frame[11]};
  Rigid out;
  for (int i = 0; i < 3; ++i) {
    // Row i of Rf^T is column i of Rf.
    const double f0 = frame[i], f1 = frame[4 + i], f2 = frame[8 + i];
    for (int j = 0; j < 3; ++j) out.m[4 * i + j] = f0 * R[j] + f1 * R[3 + j] + f2 * R[6 + j];
    out.m[4 * i + 3] = f0 * d[0] + f1 * d[1] + f2 * d[2];
  }
  return out;
}

}  // namespace

MatrixFloat decode_matrix_float(std::string_view bytes, const std::string& where) {
  MatrixFloat m;
  WireReader r(bytes, where, "MatrixFloat");
  while (r.next()) {
    if (r.field() == 1) {
      r.append(m.data);
    } else if (r.field() == 2) {
      WireReader shape = r.message("shape");
      while (shape.next()) {
        if (shape.field() == 1)
          shape.append(m.dims);
        else
          shape.skip();
      }
    } else {
      r.skip();
    }
  }
  std::size_t n = 1;
  for (std::int32_t d : m.dims) {
    if (d < 0) r.error("negative dimension in shape " + shape_str(m.dims));
    if (d > 0 && n > (std::size_t(1) << 40) / static_cast<std::size_t>(d))
      r.error("shape " + shape_str(m.dims) + " is implausibly large");
    n *= static_cast<std::size_t>(d);
  }
  if (m.dims.empty() || n != m.data.size())
    r.error("shape " + shape_str(m.dims) + " needs " + std::to_string(m.dims.empty() ? 0 : n) +
            " values, the matrix holds " + std::to_string(m.data.size()));
  return m;
}

std::string encode_matrix_float(const MatrixFloat& m) {
  WireWriter out, shape;
  out.packed(1, std::span<const float>(m.data));
  shape.unpacked(1, std::span<const std::int32_t>(m.dims));
  out.message(2, shape);
  return out.take();
}

MatrixFloat decompress_matrix_float(std::string_view compressed, const std::string& where) {
  // The serialized matrix starts with its data field's length: read it from the first inflated
  // bytes so that the output buffer has the right size at once.
  std::size_t hint = compressed.size() * 6;
  char head[16];
  const std::size_t got = zlib_peek(compressed, head, sizeof head);
  if (got > 2 && head[0] == 0x0A) {
    std::uint64_t len = 0;
    for (std::size_t i = 1, shift = 0; i < got && shift < 64; ++i, shift += 7) {
      len |= std::uint64_t(static_cast<unsigned char>(head[i]) & 0x7F) << shift;
      if (!(static_cast<unsigned char>(head[i]) & 0x80)) {
        // Deflate expands at most ~1032:1, so a corrupt length cannot ask for more.
        hint = static_cast<std::size_t>(
                   std::min<std::uint64_t>(len, compressed.size() * std::uint64_t(1032))) +
               i + 1 + 64;
        break;
      }
    }
  }
  const std::string raw = zlib_inflate(compressed, where, hint);
  return decode_matrix_float(raw, where);
}

std::string compress_matrix_float(const MatrixFloat& m, int level) {
  return zlib_deflate(encode_matrix_float(m), level);
}

std::string compressed_zero_camera_projection(int height, int width, int level) {
  WireWriter out, shape;
  const std::vector<std::int32_t> zeros(static_cast<std::size_t>(height) * width * 6, 0);
  out.packed(1, std::span<const std::int32_t>(zeros));
  const std::vector<std::int32_t> dims{height, width, 6};
  shape.unpacked(1, std::span<const std::int32_t>(dims));
  out.message(2, shape);
  return zlib_deflate(out.data(), level);
}

std::vector<double> row_inclinations(const LaserCalibration& calib, int height,
                                     const std::string& where) {
  std::vector<double> incl;
  if (!calib.beam_inclinations.empty()) {
    if (static_cast<int>(calib.beam_inclinations.size()) != height)
      throw Error(where + ": range image has " + std::to_string(height) + " rows but the " +
                  laser_name(calib.name) + " calibration lists " +
                  std::to_string(calib.beam_inclinations.size()) + " beam inclinations");
    incl = calib.beam_inclinations;
  } else {
    if (!calib.beam_inclination_min || !calib.beam_inclination_max)
      throw Error(where + ": the " + std::string(laser_name(calib.name)) +
                  " calibration has neither beam_inclinations nor beam_inclination_min/max");
    const double lo = *calib.beam_inclination_min, hi = *calib.beam_inclination_max;
    incl.resize(height);
    for (int i = 0; i < height; ++i) incl[i] = lo + (i + 0.5) / height * (hi - lo);
  }
  std::reverse(incl.begin(), incl.end());  // stored ascending; row 0 is the highest beam
  return incl;
}

double azimuth_correction(const Transform& e) { return std::atan2(e[4], e[0]); }

const std::vector<std::string>& waymo_point_channels() {
  static const std::vector<std::string> c{"x", "y", "z", "intensity", "elongation", "nlz"};
  return c;
}

std::size_t append_range_image_points(const MatrixFloat& ri, const LaserCalibration& calib,
                                      const MatrixFloat* pixel_pose, const Transform& frame_pose,
                                      PointCloud& out, const std::string& where) {
  if (ri.dims.size() != 3 || ri.dims[2] < 4 || ri.dims[0] <= 0 || ri.dims[1] <= 0)
    throw Error(where + ": range image has shape " + shape_str(ri.dims) +
                ", expected [H, W, 4] (range, intensity, elongation, nlz)");
  if (out.num_channels() != waymo_point_channels().size())
    throw Error(where + ": output cloud must have the 6 Waymo point channels");
  const int H = ri.dims[0], W = ri.dims[1], C = ri.dims[2];
  if (ri.data.size() != std::size_t(H) * W * C)
    throw Error(where + ": range image of shape " + shape_str(ri.dims) + " holds " +
                std::to_string(ri.data.size()) + " values");
  if (pixel_pose &&
      (pixel_pose->dims.size() != 3 || pixel_pose->dims[0] != H || pixel_pose->dims[1] != W ||
       pixel_pose->dims[2] != 6 || pixel_pose->data.size() != std::size_t(H) * W * 6))
    throw Error(where + ": range_image_pose has shape " + shape_str(pixel_pose->dims) +
                ", expected [" + std::to_string(H) + ", " + std::to_string(W) + ", 6]");
  const std::vector<double> incl = row_inclinations(calib, H, where);

  // Sines and cosines once per row and per column: the pixel loop is multiply-adds only.
  std::vector<double> cos_incl(H), sin_incl(H), cos_az(W), sin_az(W);
  for (int r = 0; r < H; ++r) cos_incl[r] = std::cos(incl[r]), sin_incl[r] = std::sin(incl[r]);
  const double az_corr = azimuth_correction(calib.extrinsic);
  for (int c = 0; c < W; ++c) {
    const double az = ((W - c - 0.5) / W * 2.0 - 1.0) * std::numbers::pi - az_corr;
    cos_az[c] = std::cos(az), sin_az[c] = std::sin(az);
  }
  const Rigid extrinsic = rigid_from(calib.extrinsic);

  std::size_t valid = 0;
  for (std::size_t i = 0, n = std::size_t(H) * W; i < n; ++i) valid += ri.data[i * C] > 0.f;
  const std::size_t first = out.size();
  out.resize(first + valid);
  float* dst = out.row(first);

  Rigid pose_tf{};
  const float* last_pose = nullptr;
  for (int r = 0; r < H; ++r) {
    for (int c = 0; c < W; ++c) {
      const std::size_t px = std::size_t(r) * W + c;
      const float* v = &ri.data[px * C];
      if (!(v[kRange] > 0.f)) continue;
      const double range = v[kRange];
      const double ps[3] = {range * cos_az[c] * cos_incl[r], range * sin_az[c] * cos_incl[r],
                            range * sin_incl[r]};
      double pv[3];
      extrinsic.apply(ps, pv);
      if (pixel_pose) {
        // Neighbouring pixels of a sweep usually share a pose: recompute only when it changes.
        const float* pp = &pixel_pose->data[px * 6];
        if (!last_pose || !std::equal(pp, pp + 6, last_pose)) {
          pose_tf = pixel_to_frame(pp, frame_pose);
          last_pose = pp;
        }
        double q[3];
        pose_tf.apply(pv, q);
        std::copy(q, q + 3, pv);
      }
      dst[0] = static_cast<float>(pv[0]);
      dst[1] = static_cast<float>(pv[1]);
      dst[2] = static_cast<float>(pv[2]);
      dst[3] = v[kIntensity];
      dst[4] = v[kElongation];
      dst[5] = v[kNoLabelZone];
      dst += 6;
    }
  }
  return valid;
}

bool point_to_pixel(const double p[3], const Transform& e, const std::vector<double>& incl,
                    int width, PixelIndex& out) {
  // Into the sensor frame: R^T (p - t).
  const double d[3] = {p[0] - e[3], p[1] - e[7], p[2] - e[11]};
  double s[3];
  for (int i = 0; i < 3; ++i) s[i] = e[i] * d[0] + e[4 + i] * d[1] + e[8 + i] * d[2];
  const double xy = std::hypot(s[0], s[1]);
  const double range = std::hypot(xy, s[2]);
  if (!(range > 0) || incl.empty()) return false;
  const double el = std::atan2(s[2], xy);
  // Rows are descending; pick the nearest.
  int best = 0;
  double best_d = std::abs(el - incl[0]);
  for (int r = 1; r < static_cast<int>(incl.size()); ++r) {
    const double dr = std::abs(el - incl[r]);
    if (dr < best_d) best = r, best_d = dr;
  }
  const int H = static_cast<int>(incl.size());
  const double half_top = H > 1 ? 0.5 * (incl[0] - incl[1]) : 0.0;
  const double half_bottom = H > 1 ? 0.5 * (incl[H - 2] - incl[H - 1]) : 0.0;
  if (el > incl[0] + half_top || el < incl[H - 1] - half_bottom) return false;
  // Vehicle-frame azimuth phi of the sensor direction: invert az(c) = phi_sensor.
  double az = std::atan2(s[1], s[0]) + azimuth_correction(e);
  az = std::remainder(az, 2 * std::numbers::pi);  // [-pi, pi]
  int col = static_cast<int>(
      std::lround(width - 1 + 0.5 - (az + std::numbers::pi) / (2 * std::numbers::pi) * width));
  col = ((col % width) + width) % width;  // col == W wraps to 0
  out = {best, col, range};
  return true;
}

}  // namespace lidardet::waymo
