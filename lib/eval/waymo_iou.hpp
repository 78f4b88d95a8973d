// The 3D IoU of the Waymo metrics (eval.md §B4): BEV rotated rectangles times the z overlap, with
// the official guards for tiny and huge boxes.
#pragma once
#include "core/box3d.hpp"

namespace lidardet::eval {

// Double-precision IoU in [0, 1]; 0 when any dimension is <= 0.01 m or >= 1e6 m, when the z
// extents (closed intervals) do not overlap, or when the union is <= 1e-6.
double waymo_iou_3d(const Box3D& a, const Box3D& b);

// HA of eval.md §B3.4: 1 - |heading difference| / pi after wrapping both to [-pi, pi), in float.
float waymo_heading_accuracy(double pred_heading, double gt_heading);

}  // namespace lidardet::eval
