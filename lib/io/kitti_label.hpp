// KITTI label_2/*.txt: one object per line, 15 space-separated fields (16 with a score).
#pragma once
#include <array>
#include <string>
#include <vector>

namespace lidardet {

struct KittiObject {
  std::string type;              // Car, Pedestrian, Cyclist, Van, ..., DontCare
  double truncated = 0;          // 0 (in image) .. 1 (leaves the image)
  int occluded = 0;              // 0 visible, 1 partly, 2 largely, 3 unknown
  double alpha = 0;              // observation angle, radians
  std::array<double, 4> bbox{};  // 2D box in image_2 pixels: left, top, right, bottom
  double h = 0, w = 0, l = 0;    // dimensions, metres
  double x = 0, y = 0, z = 0;    // bottom-face centre in the rectified camera frame, metres
  double ry = 0;                 // rotation about the camera y axis (down), radians
  double score = 0;              // detection score (results files only)
  bool has_score = false;        // true when the line had a 16th field

  bool operator==(const KittiObject&) const = default;
};

// Reads every non-empty line. Throws lidardet::Error naming the file, line and field when a
// line does not have 15 or 16 fields or a numeric field is not a finite number.
std::vector<KittiObject> read_kitti_labels(const std::string& path);

// One line of a label file (no newline), formatted as OpenPCDet does: "%s %.2f %d %.2f" and
// then "%.2f" for the rest, single spaces; the score ("%.4f") only when has_score.
std::string format_kitti_label(const KittiObject& o);

// Writes the objects (an empty file for none) atomically.
void write_kitti_labels(const std::string& path, const std::vector<KittiObject>& objects);

}  // namespace lidardet
