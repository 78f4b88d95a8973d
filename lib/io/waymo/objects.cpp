#include "io/waymo/objects.hpp"

#include "core/atomic_file.hpp"
#include "io/waymo/proto_wire.hpp"

namespace lidardet::waymo {
namespace {

// Label.Box field numbers. Note that width (4) comes before length (5).
enum BoxField : std::uint32_t {
  kCenterX = 1,
  kCenterY = 2,
  kCenterZ = 3,
  kWidth = 4,
  kLength = 5,
  kHeight = 6,
  kHeading = 7
};
// Label.Metadata.
enum MetaField : std::uint32_t {
  kSpeedX = 1,
  kSpeedY = 2,
  kAccelX = 3,
  kAccelY = 4,
  kSpeedZ = 5,
  kAccelZ = 6
};
// Label.
enum LabelField : std::uint32_t {
  kBox = 1,
  kMetadata = 2,
  kType = 3,
  kId = 4,
  kDetectionDifficulty = 5,
  kTrackingDifficulty = 6,
  kNumPoints = 7,
  kNumTopPoints = 13
};
// metrics Object.
enum ObjectField : std::uint32_t {
  kObject = 1,
  kScore = 2,
  kOverlapNlz = 3,
  kContextName = 4,
  kTimestamp = 5,
  kCameraName = 6
};

void decode_box(WireReader& r, Box3D& b) {
  while (r.next()) {
    switch (r.field()) {
      case kCenterX:
        b.x = r.f64();
        break;
      case kCenterY:
        b.y = r.f64();
        break;
      case kCenterZ:
        b.z = r.f64();
        break;
      case kWidth:
        b.w = r.f64();
        break;
      case kLength:
        b.l = r.f64();
        break;
      case kHeight:
        b.h = r.f64();
        break;
      case kHeading:
        b.yaw = r.f64();
        break;
      default:
        r.skip();
    }
  }
}

void decode_metadata(WireReader& r, WaymoObject& o) {
  std::array<double, 3> speed{}, accel{};
  bool has_speed = false, has_accel = false;
  while (r.next()) {
    switch (r.field()) {
      case kSpeedX:
        speed[0] = r.f64();
        has_speed = true;
        break;
      case kSpeedY:
        speed[1] = r.f64();
        has_speed = true;
        break;
      case kSpeedZ:
        speed[2] = r.f64();
        has_speed = true;
        break;
      case kAccelX:
        accel[0] = r.f64();
        has_accel = true;
        break;
      case kAccelY:
        accel[1] = r.f64();
        has_accel = true;
        break;
      case kAccelZ:
        accel[2] = r.f64();
        has_accel = true;
        break;
      default:
        r.skip();
    }
  }
  if (has_speed) o.speed = speed;
  if (has_accel) o.accel = accel;
}

void decode_object(WireReader& r, WaymoObject& o) {
  while (r.next()) {
    switch (r.field()) {
      case kObject: {
        WireReader label = r.message("object");
        decode_label(label, o);
        break;
      }
      case kScore:
        o.score = r.f32();
        break;
      case kOverlapNlz:
        o.overlap_with_nlz = r.boolean();
        break;
      case kContextName:
        o.context_name = std::string(r.bytes());
        break;
      case kTimestamp:
        o.frame_timestamp_micros = r.int64();
        break;
      case kCameraName:
        o.camera_name = r.int32();
        break;
      default:
        r.skip();
    }
  }
  o.box.score = o.score;
}

}  // namespace

const char* type_name(WaymoType t) {
  switch (t) {
    case WaymoType::kVehicle:
      return "Vehicle";
    case WaymoType::kPedestrian:
      return "Pedestrian";
    case WaymoType::kSign:
      return "Sign";
    case WaymoType::kCyclist:
      return "Cyclist";
    case WaymoType::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<WaymoType> type_from_name(std::string_view name) {
  for (int t = 0; t <= 4; ++t)
    if (name == type_name(static_cast<WaymoType>(t))) return static_cast<WaymoType>(t);
  return std::nullopt;
}

void decode_label(WireReader& r, WaymoObject& o) {
  while (r.next()) {
    switch (r.field()) {
      case kBox: {
        WireReader box = r.message("box");
        decode_box(box, o.box);
        break;
      }
      case kMetadata: {
        WireReader meta = r.message("metadata");
        decode_metadata(meta, o);
        break;
      }
      case kType: {
        const std::int32_t t = r.int32();
        if (t < 0 || t > 4) r.error("type " + std::to_string(t) + " is not a Label.Type (0..4)");
        o.type = static_cast<WaymoType>(t);
        break;
      }
      case kId:
        o.id = std::string(r.bytes());
        break;
      case kDetectionDifficulty:
        o.detection_difficulty_level = r.int32();
        break;
      case kTrackingDifficulty:
        o.tracking_difficulty_level = r.int32();
        break;
      case kNumPoints:
        o.num_lidar_points_in_box = r.int32();
        break;
      case kNumTopPoints:
        o.num_top_lidar_points_in_box = r.int32();
        break;
      default:
        r.skip();
    }
  }
  o.box.label = type_name(o.type);
}

void encode_label(const WaymoObject& o, WireWriter& out) {
  WireWriter box;
  box.f64(kCenterX, o.box.x);
  box.f64(kCenterY, o.box.y);
  box.f64(kCenterZ, o.box.z);
  box.f64(kWidth, o.box.w);
  box.f64(kLength, o.box.l);
  box.f64(kHeight, o.box.h);
  box.f64(kHeading, o.box.yaw);
  out.message(kBox, box);
  if (o.speed || o.accel) {
    WireWriter meta;
    const std::array<double, 3> zero{};
    const auto& s = o.speed ? *o.speed : zero;
    const auto& a = o.accel ? *o.accel : zero;
    if (o.speed) meta.f64(kSpeedX, s[0]), meta.f64(kSpeedY, s[1]);
    if (o.accel) meta.f64(kAccelX, a[0]), meta.f64(kAccelY, a[1]);
    if (o.speed) meta.f64(kSpeedZ, s[2]);
    if (o.accel) meta.f64(kAccelZ, a[2]);
    out.message(kMetadata, meta);
  }
  out.int32(kType, static_cast<std::int32_t>(o.type));
  if (!o.id.empty()) out.bytes(kId, o.id);
  if (o.detection_difficulty_level) out.int32(kDetectionDifficulty, o.detection_difficulty_level);
  if (o.tracking_difficulty_level) out.int32(kTrackingDifficulty, o.tracking_difficulty_level);
  if (o.num_lidar_points_in_box) out.int32(kNumPoints, o.num_lidar_points_in_box);
  if (o.num_top_lidar_points_in_box) out.int32(kNumTopPoints, o.num_top_lidar_points_in_box);
}

std::vector<WaymoObject> decode_objects(std::string_view bytes, const std::string& origin) {
  std::vector<WaymoObject> out;
  WireReader r(bytes, origin, "Objects");
  while (r.next()) {
    if (r.field() != 1) {
      r.skip();
      continue;
    }
    WireReader obj = r.message("objects", static_cast<long>(out.size()));
    decode_object(obj, out.emplace_back());
  }
  return out;
}

std::string encode_objects(const std::vector<WaymoObject>& objects) {
  WireWriter out;
  for (const auto& o : objects) {
    WireWriter obj, label;
    encode_label(o, label);
    obj.message(kObject, label);
    obj.f32(kScore, o.score);
    if (o.overlap_with_nlz) obj.boolean(kOverlapNlz, true);
    obj.bytes(kContextName, o.context_name);
    obj.int64(kTimestamp, o.frame_timestamp_micros);
    if (o.camera_name) obj.int32(kCameraName, o.camera_name);
    out.message(1, obj);
  }
  return out.take();
}

std::vector<WaymoObject> read_objects_file(const std::string& path) {
  return decode_objects(read_file_bytes(path), path);
}

void write_objects_file(const std::string& path, const std::vector<WaymoObject>& objects) {
  write_file_atomic(path, encode_objects(objects));
}

}  // namespace lidardet::waymo
