// Rotated-box geometry in double precision: BEV polygon intersection, BEV and 3D IoU,
// points in boxes.
#pragma once
#include <array>
#include <cstddef>
#include <vector>

#include "core/box3d.hpp"
#include "core/point_cloud.hpp"

namespace lidardet {

struct Vec2 {
  double x = 0, y = 0;
};

// The four BEV corners, counter-clockwise, starting at front-left (+l/2, +w/2) in box axes.
std::array<Vec2, 4> bev_corners(const Box3D& b);

// Area of the intersection of two convex polygons given counter-clockwise.
double convex_intersection_area(const std::vector<Vec2>& a, const std::vector<Vec2>& b);

double bev_intersection_area(const Box3D& a, const Box3D& b);
double bev_iou(const Box3D& a, const Box3D& b);
// Overlap volume = BEV intersection area x overlap of the z extents.
double intersection_volume_3d(const Box3D& a, const Box3D& b);
double iou_3d(const Box3D& a, const Box3D& b);

// True when (x, y, z) is inside the box, faces included, grown by `margin` metres on every side.
bool point_in_box(const Box3D& b, double x, double y, double z, double margin = 0.0);
// Number of points of the cloud inside the box (faces included).
std::size_t count_points_in_box(const Box3D& b, const PointCloudView& cloud, double margin = 0.0);
// For each point, the index of the first box containing it, or -1.
std::vector<int> assign_points_to_boxes(const std::vector<Box3D>& boxes, const PointCloudView& cloud,
                                        double margin = 0.0);

}  // namespace lidardet
