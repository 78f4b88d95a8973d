// Box3D: an oriented 3D box in the LiDAR frame (x forward, y left, z up), OpenPCDet's
// convention: (x, y, z) is the box centre, l runs along the heading, yaw is counter-clockwise
// from +x about +z, in radians.
#pragma once
#include <array>
#include <string>

namespace lidardet {

struct Box3D {
  double x = 0, y = 0, z = 0;  // centre, metres
  double l = 0, w = 0, h = 0;  // length (along heading), width, height, metres
  double yaw = 0;              // radians, counter-clockwise from +x
  std::string label;           // class name ("Car", "Pedestrian", "Vehicle", ...)
  float score = 1.0f;          // detection score; 1 for ground truth

  bool operator==(const Box3D&) const = default;
};

// Wraps an angle to [-pi, pi).
double wrap_angle(double a);

}  // namespace lidardet
