// A whole frame's LiDAR points: every laser and both returns, in the vehicle frame of
// Frame.pose, in OpenPCDet's order (lasers by LaserName, return 1 before return 2, range-image
// row-major within each), with channels x y z intensity elongation nlz.
#pragma once
#include <array>
#include <cstddef>
#include <string>

#include "core/point_cloud.hpp"
#include "io/waymo/frame.hpp"

namespace lidardet::waymo {

struct FramePoints {
  PointCloud cloud{std::vector<std::string>{"x", "y", "z", "intensity", "elongation", "nlz"}};
  // counts[laser name][return index 0/1]; the cloud holds them contiguously in this order.
  std::array<std::array<std::size_t, 2>, kNumLaserNames> counts{};
  std::size_t count(int laser) const { return counts[laser][0] + counts[laser][1]; }
};

struct FramePointsOptions {
  bool return1 = true;
  bool return2 = true;
  // Which lasers to convert, indexed by LaserName (all by default).
  std::array<bool, kNumLaserNames> lasers{true, true, true, true, true, true};
};

// Decompresses and converts the range images. A frame whose Laser messages are empty gives
// zero points. `origin` ("FILE: record N") prefixes errors: a missing calibration, a bad zlib
// stream, a range image or pose image of the wrong shape.
FramePoints frame_points(const Frame& frame, const std::string& origin,
                         const FramePointsOptions& options = {});

// Label counts by type (index = WaymoType) and by detection difficulty (0, 1, 2).
struct LabelSummary {
  std::array<std::size_t, 5> by_type{};
  std::array<std::array<std::size_t, 3>, 5> by_type_difficulty{};
  long long points_in_boxes = 0;
};
LabelSummary summarize_labels(const Frame& frame);

}  // namespace lidardet::waymo
