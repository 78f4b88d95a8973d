#include "io/waymo/frame.hpp"

#include "io/waymo/proto_wire.hpp"

namespace lidardet::waymo {
namespace {

// Field numbers from dataset.proto (see ../shared/specs/data.md §3.2).
namespace frame_f {
constexpr std::uint32_t kContext = 1, kTimestamp = 2, kPose = 3, kImages = 4, kLasers = 5,
                        kLaserLabels = 6;
}
namespace context_f {
constexpr std::uint32_t kName = 1, kCameraCalibrations = 2, kLaserCalibrations = 3, kStats = 4;
}
namespace stats_f {
constexpr std::uint32_t kTimeOfDay = 2, kLocation = 3, kWeather = 4;
}
namespace laser_calib_f {
constexpr std::uint32_t kName = 1, kInclinations = 2, kMin = 3, kMax = 4, kExtrinsic = 5;
}
namespace camera_calib_f {
constexpr std::uint32_t kName = 1, kIntrinsic = 2, kExtrinsic = 3, kWidth = 4, kHeight = 5,
                        kShutter = 6;
}
namespace laser_f {
constexpr std::uint32_t kName = 1, kReturn1 = 2, kReturn2 = 3;
}
namespace range_image_f {
constexpr std::uint32_t kCompressed = 2, kCameraProjection = 3, kPose = 4;
}

Transform decode_transform(WireReader& r) {
  std::vector<double> v;
  v.reserve(16);
  while (r.next()) {
    if (r.field() == 1)
      r.append(v);
    else
      r.skip();
  }
  if (v.size() != 16)
    r.error("Transform.transform has " + std::to_string(v.size()) + " values, expected 16");
  Transform t;
  std::copy(v.begin(), v.end(), t.begin());
  return t;
}

void encode_transform(WireWriter& out, std::uint32_t field, const Transform& t) {
  WireWriter m;
  m.unpacked(1, std::span<const double>(t));  // unpacked, as real Waymo files store it
  out.message(field, m);
}

LaserCalibration decode_laser_calibration(WireReader& r) {
  LaserCalibration c;
  while (r.next()) {
    switch (r.field()) {
      case laser_calib_f::kName:
        c.name = r.int32();
        break;
      case laser_calib_f::kInclinations:
        r.append(c.beam_inclinations);
        break;
      case laser_calib_f::kMin:
        c.beam_inclination_min = r.f64();
        break;
      case laser_calib_f::kMax:
        c.beam_inclination_max = r.f64();
        break;
      case laser_calib_f::kExtrinsic: {
        WireReader t = r.message("extrinsic");
        c.extrinsic = decode_transform(t);
        break;
      }
      default:
        r.skip();
    }
  }
  return c;
}

CameraCalibration decode_camera_calibration(WireReader& r) {
  CameraCalibration c;
  while (r.next()) {
    switch (r.field()) {
      case camera_calib_f::kName:
        c.name = r.int32();
        break;
      case camera_calib_f::kIntrinsic:
        r.append(c.intrinsic);
        break;
      case camera_calib_f::kExtrinsic: {
        WireReader t = r.message("extrinsic");
        c.extrinsic = decode_transform(t);
        break;
      }
      case camera_calib_f::kWidth:
        c.width = r.int32();
        break;
      case camera_calib_f::kHeight:
        c.height = r.int32();
        break;
      case camera_calib_f::kShutter:
        c.rolling_shutter_direction = r.int32();
        break;
      default:
        r.skip();
    }
  }
  return c;
}

ContextStats decode_stats(WireReader& r) {
  ContextStats s;
  while (r.next()) {
    switch (r.field()) {
      case stats_f::kTimeOfDay:
        s.time_of_day = std::string(r.bytes());
        break;
      case stats_f::kLocation:
        s.location = std::string(r.bytes());
        break;
      case stats_f::kWeather:
        s.weather = std::string(r.bytes());
        break;
      default:
        r.skip();
    }
  }
  return s;
}

Context decode_context(WireReader& r) {
  Context c;
  while (r.next()) {
    switch (r.field()) {
      case context_f::kName:
        c.name = std::string(r.bytes());
        break;
      case context_f::kCameraCalibrations: {
        WireReader m = r.message("camera_calibrations", long(c.camera_calibrations.size()));
        c.camera_calibrations.push_back(decode_camera_calibration(m));
        break;
      }
      case context_f::kLaserCalibrations: {
        WireReader m = r.message("laser_calibrations", long(c.laser_calibrations.size()));
        c.laser_calibrations.push_back(decode_laser_calibration(m));
        break;
      }
      case context_f::kStats: {
        WireReader m = r.message("stats");
        c.stats = decode_stats(m);
        break;
      }
      default:
        r.skip();
    }
  }
  return c;
}

RangeImageBlobs decode_range_image(WireReader& r) {
  RangeImageBlobs b;
  while (r.next()) {
    switch (r.field()) {
      case range_image_f::kCompressed:
        b.range_image_compressed = std::string(r.bytes());
        break;
      case range_image_f::kCameraProjection:
        b.camera_projection_compressed = std::string(r.bytes());
        break;
      case range_image_f::kPose:
        b.range_image_pose_compressed = std::string(r.bytes());
        break;
      case 1:
        r.error(
            "the deprecated uncompressed RangeImage.range_image is not supported; "
            "expected range_image_compressed (field 2)");
      default:
        r.skip();
    }
  }
  return b;
}

Laser decode_laser(WireReader& r) {
  Laser l;
  while (r.next()) {
    switch (r.field()) {
      case laser_f::kName:
        l.name = r.int32();
        break;
      case laser_f::kReturn1: {
        WireReader m = r.message("ri_return1");
        l.ri_return1 = decode_range_image(m);
        break;
      }
      case laser_f::kReturn2: {
        WireReader m = r.message("ri_return2");
        l.ri_return2 = decode_range_image(m);
        break;
      }
      default:
        r.skip();
    }
  }
  return l;
}

void encode_range_image(WireWriter& out, std::uint32_t field, const RangeImageBlobs& b) {
  if (b.empty() && b.camera_projection_compressed.empty() && b.range_image_pose_compressed.empty())
    return;
  WireWriter m;
  if (!b.range_image_compressed.empty())
    m.bytes(range_image_f::kCompressed, b.range_image_compressed);
  if (!b.camera_projection_compressed.empty())
    m.bytes(range_image_f::kCameraProjection, b.camera_projection_compressed);
  if (!b.range_image_pose_compressed.empty())
    m.bytes(range_image_f::kPose, b.range_image_pose_compressed);
  out.message(field, m);
}

}  // namespace

const char* laser_name(int name) {
  static const char* const names[] = {"UNKNOWN", "TOP", "FRONT", "SIDE_LEFT", "SIDE_RIGHT", "REAR"};
  return name >= 0 && name < kNumLaserNames ? names[name] : "UNKNOWN";
}

Transform identity_transform() { return {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}; }

const LaserCalibration* Frame::calibration(int laser) const {
  for (const auto& c : context.laser_calibrations)
    if (c.name == laser) return &c;
  return nullptr;
}

const Laser* Frame::laser(int name) const {
  for (const auto& l : lasers)
    if (l.name == name) return &l;
  return nullptr;
}

Frame decode_frame(std::string_view bytes, const std::string& origin) {
  Frame f;
  WireReader r(bytes, origin, "Frame");
  while (r.next()) {
    switch (r.field()) {
      case frame_f::kContext: {
        WireReader m = r.message("context");
        f.context = decode_context(m);
        break;
      }
      case frame_f::kTimestamp:
        f.timestamp_micros = r.int64();
        break;
      case frame_f::kPose: {
        WireReader m = r.message("pose");
        f.pose = decode_transform(m);
        break;
      }
      case frame_f::kImages:
        r.bytes();
        ++f.num_images;
        break;
      case frame_f::kLasers: {
        WireReader m = r.message("lasers", long(f.lasers.size()));
        f.lasers.push_back(decode_laser(m));
        break;
      }
      case frame_f::kLaserLabels: {
        WireReader m = r.message("laser_labels", long(f.laser_labels.size()));
        decode_label(m, f.laser_labels.emplace_back());
        break;
      }
      default:
        r.skip();
    }
  }
  for (auto& l : f.laser_labels) {
    l.context_name = f.context.name;
    l.frame_timestamp_micros = f.timestamp_micros;
  }
  return f;
}

std::string encode_frame(const Frame& f) {
  WireWriter ctx;
  ctx.bytes(context_f::kName, f.context.name);
  for (const auto& c : f.context.camera_calibrations) {
    WireWriter m;
    m.int32(camera_calib_f::kName, c.name);
    m.unpacked(camera_calib_f::kIntrinsic, std::span<const double>(c.intrinsic));
    encode_transform(m, camera_calib_f::kExtrinsic, c.extrinsic);
    m.int32(camera_calib_f::kWidth, c.width);
    m.int32(camera_calib_f::kHeight, c.height);
    if (c.rolling_shutter_direction) m.int32(camera_calib_f::kShutter, c.rolling_shutter_direction);
    ctx.message(context_f::kCameraCalibrations, m);
  }
  for (const auto& c : f.context.laser_calibrations) {
    WireWriter m;
    m.int32(laser_calib_f::kName, c.name);
    m.unpacked(laser_calib_f::kInclinations, std::span<const double>(c.beam_inclinations));
    if (c.beam_inclination_min) m.f64(laser_calib_f::kMin, *c.beam_inclination_min);
    if (c.beam_inclination_max) m.f64(laser_calib_f::kMax, *c.beam_inclination_max);
    encode_transform(m, laser_calib_f::kExtrinsic, c.extrinsic);
    ctx.message(context_f::kLaserCalibrations, m);
  }
  const ContextStats& s = f.context.stats;
  if (!s.time_of_day.empty() || !s.location.empty() || !s.weather.empty()) {
    WireWriter m;
    if (!s.time_of_day.empty()) m.bytes(stats_f::kTimeOfDay, s.time_of_day);
    if (!s.location.empty()) m.bytes(stats_f::kLocation, s.location);
    if (!s.weather.empty()) m.bytes(stats_f::kWeather, s.weather);
    ctx.message(context_f::kStats, m);
  }

  WireWriter out;
  out.message(frame_f::kContext, ctx);
  out.int64(frame_f::kTimestamp, f.timestamp_micros);
  encode_transform(out, frame_f::kPose, f.pose);
  for (const auto& l : f.lasers) {
    WireWriter m;
    m.int32(laser_f::kName, l.name);
    encode_range_image(m, laser_f::kReturn1, l.ri_return1);
    encode_range_image(m, laser_f::kReturn2, l.ri_return2);
    out.message(frame_f::kLasers, m);
  }
  for (const auto& label : f.laser_labels) {
    WireWriter m;
    encode_label(label, m);
    out.message(frame_f::kLaserLabels, m);
  }
  return out.take();
}

}  // namespace lidardet::waymo
