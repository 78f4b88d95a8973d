#include "core/geometry.hpp"

#include <algorithm>
#include <cmath>

namespace lidardet {

std::array<Vec2, 4> bev_corners(const Box3D& b) {
  const double c = std::cos(b.yaw), s = std::sin(b.yaw);
  const double hl = b.l / 2, hw = b.w / 2;
  const double local[4][2] = {{hl, hw}, {-hl, hw}, {-hl, -hw}, {hl, -hw}};
  std::array<Vec2, 4> out;
  for (int i = 0; i < 4; ++i)
    out[i] = {b.x + c * local[i][0] - s * local[i][1], b.y + s * local[i][0] + c * local[i][1]};
  return out;
}

namespace {
double cross(const Vec2& o, const Vec2& a, const Vec2& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

double polygon_area(const std::vector<Vec2>& p) {
  double a = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const Vec2& u = p[i];
    const Vec2& v = p[(i + 1) % p.size()];
    a += u.x * v.y - v.x * u.y;
  }
  return std::abs(a) / 2;
}
}  // namespace

// Sutherland-Hodgman: clip `a` by each edge of the convex, counter-clockwise `b`.
double convex_intersection_area(const std::vector<Vec2>& a, const std::vector<Vec2>& b) {
  std::vector<Vec2> poly = a, next;
  for (std::size_t i = 0; i < b.size() && !poly.empty(); ++i) {
    const Vec2& e0 = b[i];
    const Vec2& e1 = b[(i + 1) % b.size()];
    next.clear();
    for (std::size_t j = 0; j < poly.size(); ++j) {
      const Vec2& p = poly[j];
      const Vec2& q = poly[(j + 1) % poly.size()];
      const double dp = cross(e0, e1, p), dq = cross(e0, e1, q);
      const bool p_in = dp >= 0, q_in = dq >= 0;
      if (p_in) next.push_back(p);
      if (p_in != q_in) {
        const double t = dp / (dp - dq);
        next.push_back({p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)});
      }
    }
    std::swap(poly, next);
  }
  return poly.size() < 3 ? 0.0 : polygon_area(poly);
}

double bev_intersection_area(const Box3D& a, const Box3D& b) {
  if (a.l <= 0 || a.w <= 0 || b.l <= 0 || b.w <= 0) return 0.0;
  // Cheap rejection by circumscribed circles.
  const double ra = std::hypot(a.l, a.w) / 2, rb = std::hypot(b.l, b.w) / 2;
  if (std::hypot(a.x - b.x, a.y - b.y) > ra + rb) return 0.0;
  const auto ca = bev_corners(a), cb = bev_corners(b);
  return convex_intersection_area({ca.begin(), ca.end()}, {cb.begin(), cb.end()});
}

double bev_iou(const Box3D& a, const Box3D& b) {
  const double inter = bev_intersection_area(a, b);
  const double uni = a.l * a.w + b.l * b.w - inter;
  return uni > 0 ? std::clamp(inter / uni, 0.0, 1.0) : 0.0;
}

double intersection_volume_3d(const Box3D& a, const Box3D& b) {
  const double lo = std::max(a.z - a.h / 2, b.z - b.h / 2);
  const double hi = std::min(a.z + a.h / 2, b.z + b.h / 2);
  if (hi <= lo) return 0.0;
  return bev_intersection_area(a, b) * (hi - lo);
}

double iou_3d(const Box3D& a, const Box3D& b) {
  const double inter = intersection_volume_3d(a, b);
  const double uni = a.l * a.w * a.h + b.l * b.w * b.h - inter;
  return uni > 0 ? std::clamp(inter / uni, 0.0, 1.0) : 0.0;
}

bool point_in_box(const Box3D& b, double x, double y, double z, double margin) {
  const double dz = z - b.z;
  if (std::abs(dz) > b.h / 2 + margin) return false;
  const double c = std::cos(b.yaw), s = std::sin(b.yaw);
  const double dx = x - b.x, dy = y - b.y;
  const double lx = c * dx + s * dy, ly = -s * dx + c * dy;
  return std::abs(lx) <= b.l / 2 + margin && std::abs(ly) <= b.w / 2 + margin;
}

std::size_t count_points_in_box(const Box3D& b, const PointCloudView& cloud, double margin) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < cloud.size; ++i) {
    const float* p = cloud.row(i);
    n += point_in_box(b, p[0], p[1], p[2], margin);
  }
  return n;
}

std::vector<int> assign_points_to_boxes(const std::vector<Box3D>& boxes, const PointCloudView& cloud,
                                        double margin) {
  std::vector<int> out(cloud.size, -1);
  for (std::size_t i = 0; i < cloud.size; ++i) {
    const float* p = cloud.row(i);
    for (std::size_t k = 0; k < boxes.size(); ++k)
      if (point_in_box(boxes[k], p[0], p[1], p[2], margin)) {
        out[i] = static_cast<int>(k);
        break;
      }
  }
  return out;
}

}  // namespace lidardet
