// Conversions between LiDAR-frame Box3D and KITTI camera labels (OpenPCDet conventions):
// the label holds the bottom-face centre in the rectified camera frame, dimensions h, w, l
// and ry; the Box3D holds the centre in the LiDAR frame and heading = -(ry + pi/2).
#pragma once
#include <array>
#include <optional>

#include "core/box3d.hpp"
#include "io/kitti_calib.hpp"
#include "io/kitti_label.hpp"

namespace lidardet {

// The LiDAR box of a label (label and score copied; score is 1 when the label has none).
Box3D kitti_to_box(const KittiObject& o, const KittiCalib& calib);

// The 3D part of a label from a box: type, h, w, l, location, ry and alpha. The 2D bbox,
// truncation and occlusion are left at zero; score set (has_score) when `with_score`.
KittiObject box_to_kitti(const Box3D& b, const KittiCalib& calib, bool with_score = false);

// Observation angle of a label at rect-camera location (x, z): ry - atan2(x, z), wrapped.
double kitti_alpha(double ry, double x, double z);

// The 8 corners of a label's 3D box in the rectified camera frame.
std::array<Eigen::Vector3d, 8> kitti_corners_rect(const KittiObject& o);

// The 2D box (left, top, right, bottom) of a label's 3D box projected with P2, clipped to
// x in [0, width-1], y in [0, height-1]. Empty when a corner lies behind the camera or the
// box lies wholly outside the image.
std::optional<std::array<double, 4>> project_kitti_box(const KittiObject& o,
                                                       const KittiCalib& calib, int width,
                                                       int height);

}  // namespace lidardet
