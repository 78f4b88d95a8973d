// Waymo 3D labels and the metrics `Objects` file (ground truth and predictions, the format of
// the official evaluator and leaderboard). One struct serves both: a Frame's laser labels are
// WaymoObjects whose context and timestamp come from the frame.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/box3d.hpp"

namespace lidardet::waymo {

class WireReader;
class WireWriter;

// label.proto Label.Type.
enum class WaymoType : int { kUnknown = 0, kVehicle = 1, kPedestrian = 2, kSign = 3, kCyclist = 4 };

// OpenPCDet's class names: "unknown", "Vehicle", "Pedestrian", "Sign", "Cyclist".
const char* type_name(WaymoType t);
// Inverse of type_name (case-sensitive); nullopt for names Waymo does not have.
std::optional<WaymoType> type_from_name(std::string_view name);

struct WaymoObject {
  std::string context_name;
  std::int64_t frame_timestamp_micros = 0;
  // Vehicle frame; box.label holds type_name(type) and box.score mirrors `score`.
  Box3D box;
  WaymoType type = WaymoType::kUnknown;
  std::string id;  // track id, unique per object across frames
  std::int32_t num_lidar_points_in_box = 0;
  std::int32_t num_top_lidar_points_in_box = 0;
  std::int32_t detection_difficulty_level = 0;  // 0 unknown, 1 LEVEL_1, 2 LEVEL_2
  std::int32_t tracking_difficulty_level = 0;
  float score = 1.0f;  // metrics Object.score (proto default 1.0)
  bool overlap_with_nlz = false;
  std::int32_t camera_name = 0;
  std::optional<std::array<double, 3>> speed;  // Label.Metadata speed_x/y/z, m/s
  std::optional<std::array<double, 3>> accel;  // accel_x/y/z, m/s^2

  bool operator==(const WaymoObject&) const = default;
};

// label.proto Label <-> WaymoObject (the label fields only; context, timestamp, score are
// metrics Object fields).
void decode_label(WireReader& label, WaymoObject& out);
void encode_label(const WaymoObject& o, WireWriter& out);

// metrics.proto Objects: repeated Object objects = 1 (no_label_zone_objects = 2 is skipped).
std::vector<WaymoObject> decode_objects(std::string_view bytes, const std::string& origin);
std::string encode_objects(const std::vector<WaymoObject>& objects);

// Objects files are one serialized `Objects` message (no TFRecord framing).
std::vector<WaymoObject> read_objects_file(const std::string& path);
void write_objects_file(const std::string& path, const std::vector<WaymoObject>& objects);

}  // namespace lidardet::waymo
