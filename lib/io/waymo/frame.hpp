// The parts of the Waymo Open Dataset v1 `Frame` message (dataset.proto) that LiDAR detection
// needs, decoded and encoded by hand from the proto2 field numbers. Range images stay
// compressed here; range_image.hpp turns them into points only when asked.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/waymo/objects.hpp"

namespace lidardet::waymo {

// dataset.proto LaserName.Name.
enum class LaserName : int {
  kUnknown = 0,
  kTop = 1,
  kFront = 2,
  kSideLeft = 3,
  kSideRight = 4,
  kRear = 5
};
constexpr int kNumLaserNames = 6;
// "TOP", "FRONT", ...; "UNKNOWN" for 0 and for values outside the enum.
const char* laser_name(int name);

// 4x4 row-major homogeneous transform (Transform.transform, 16 doubles).
using Transform = std::array<double, 16>;
Transform identity_transform();

struct LaserCalibration {
  int name = 0;
  // Ascending, radians; empty means uniform between min and max.
  std::vector<double> beam_inclinations;
  std::optional<double> beam_inclination_min, beam_inclination_max;
  Transform extrinsic = identity_transform();  // lidar -> vehicle
  bool operator==(const LaserCalibration&) const = default;
};

struct CameraCalibration {
  int name = 0;
  std::vector<double> intrinsic;               // f_u f_v c_u c_v k1 k2 p1 p2 k3
  Transform extrinsic = identity_transform();  // camera -> vehicle
  std::int32_t width = 0, height = 0;
  std::int32_t rolling_shutter_direction = 0;
  bool operator==(const CameraCalibration&) const = default;
};

// One return of one laser, as stored: zlib streams of serialized MatrixFloat / MatrixInt32.
struct RangeImageBlobs {
  std::string range_image_compressed;        // [H, W, 4] range, intensity, elongation, nlz
  std::string camera_projection_compressed;  // [H, W, 6] int32; kept, never decoded
  std::string range_image_pose_compressed;   // TOP return 1: [H, W, 6] roll pitch yaw x y z
  bool empty() const { return range_image_compressed.empty(); }
  bool operator==(const RangeImageBlobs&) const = default;
};

struct Laser {
  int name = 0;  // an empty Laser message (no name, no images) is legal and holds no points
  RangeImageBlobs ri_return1, ri_return2;
  bool operator==(const Laser&) const = default;
};

struct ContextStats {
  std::string time_of_day, location, weather;
  bool operator==(const ContextStats&) const = default;
};

struct Context {
  std::string name;
  std::vector<CameraCalibration> camera_calibrations;
  std::vector<LaserCalibration> laser_calibrations;  // in file order (not enum order)
  ContextStats stats;
  bool operator==(const Context&) const = default;
};

struct Frame {
  Context context;
  std::int64_t timestamp_micros = 0;
  Transform pose = identity_transform();  // vehicle -> global
  std::vector<Laser> lasers;
  // Labels in the vehicle frame; context_name and frame_timestamp_micros are filled from the
  // frame so that they can go straight into an Objects file.
  std::vector<WaymoObject> laser_labels;
  std::size_t num_images = 0;  // camera images are counted, not kept

  const LaserCalibration* calibration(int laser) const;
  const Laser* laser(int laser) const;
  bool operator==(const Frame&) const = default;
};

// Decodes a serialized Frame. `origin` ("FILE: record N") prefixes error messages.
Frame decode_frame(std::string_view bytes, const std::string& origin);
// Encodes the fields above in ascending field order (images are not written).
std::string encode_frame(const Frame& frame);

}  // namespace lidardet::waymo
