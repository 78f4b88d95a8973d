// The hand-made KITTI objects of the evaluator tests.
#pragma once
#include <string>

#include "io/kitti_label.hpp"

namespace lidardet::test {

// A camera-frame object at x metres, 20 m ahead, with a 2D box `bbox_h` pixels tall; car-sized,
// or person-sized for Pedestrian and Person_sitting. A score > 0 makes it a detection.
inline KittiObject kitti_obj(const std::string& type, double x, double score = 0,
                             double bbox_h = 100) {
  KittiObject o;
  o.type = type;
  o.bbox = {500 + 10 * x, 100, 540 + 10 * x, 100 + bbox_h};
  o.h = 1.5, o.w = 1.6, o.l = 3.9;
  if (type == "Pedestrian" || type == "Person_sitting") o.l = 0.8, o.w = 0.6, o.h = 1.7;
  o.x = x, o.y = 1.6, o.z = 20, o.ry = 0.1, o.alpha = 0.2;
  o.score = score;
  o.has_score = score > 0;
  return o;
}

}  // namespace lidardet::test
