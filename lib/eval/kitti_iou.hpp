// Overlaps of the KITTI evaluation (eval.md §A4), with the numerics of OpenPCDet's python
// evaluator: 2D image IoU in double; the BEV intersection of rotated boxes on the camera (x, z)
// plane computed in float32 and stored as float32; 3D overlap from that area times the height
// overlap in double.
#pragma once
#include <array>
#include <vector>

#include "io/kitti_label.hpp"

namespace lidardet::eval {

// IoU of the 2D boxes (left, top, right, bottom), no +1 pixel convention.
double image_iou(const KittiObject& a, const KittiObject& b);
// Intersection area / area(a): the "criterion 0" used against DontCare regions.
double image_overlap_of_first(const KittiObject& a, const KittiObject& b);
// Area of the intersection of the two BEV footprints (x, z, l, w, ry), float32 arithmetic.
float bev_intersection_area_f32(const KittiObject& a, const KittiObject& b);

// A footprint's float32 corners on the camera (x, z) plane and their bounding box, computed once
// per object so that an evaluation clipping many pairs does not redo the trigonometry.
struct BevFootprint {
  std::array<float, 4> x{}, z{};
  float min_x = 0, max_x = 0, min_z = 0, max_z = 0;
};
BevFootprint bev_footprint(const KittiObject& o);
// The same float32 area as above, from precomputed footprints (bit for bit).
float bev_intersection_area_f32(const BevFootprint& a, const BevFootprint& b);
// True when the bounding boxes are apart, so the intersection is empty (the clipped area could
// only be float32 rounding dust, far below every overlap threshold).
bool bev_apart(const BevFootprint& a, const BevFootprint& b);
// BEV and 3D IoU from an intersection area computed once for both.
double bev_iou_from_area(const KittiObject& a, const KittiObject& b, float inter);
double iou_3d_from_area(const KittiObject& a, const KittiObject& b, float inter);
double bev_iou(const KittiObject& a, const KittiObject& b);
double iou_3d(const KittiObject& a, const KittiObject& b);

// Overlap matrix [det][gt] for metric 0 (image), 1 (BEV) or 2 (3D).
std::vector<double> overlap_matrix(const std::vector<KittiObject>& dets,
                                   const std::vector<KittiObject>& gts, int metric);

}  // namespace lidardet::eval
