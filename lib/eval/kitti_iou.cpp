#include "eval/kitti_iou.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace lidardet::eval {

double image_iou(const KittiObject& a, const KittiObject& b) {
  const double iw = std::min(a.bbox[2], b.bbox[2]) - std::max(a.bbox[0], b.bbox[0]);
  const double ih = std::min(a.bbox[3], b.bbox[3]) - std::max(a.bbox[1], b.bbox[1]);
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = iw * ih;
  const double area_a = (a.bbox[2] - a.bbox[0]) * (a.bbox[3] - a.bbox[1]);
  const double area_b = (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]);
  return inter / (area_a + area_b - inter);
}

double image_overlap_of_first(const KittiObject& a, const KittiObject& b) {
  const double iw = std::min(a.bbox[2], b.bbox[2]) - std::max(a.bbox[0], b.bbox[0]);
  const double ih = std::min(a.bbox[3], b.bbox[3]) - std::max(a.bbox[1], b.bbox[1]);
  if (iw <= 0 || ih <= 0) return 0.0;
  return iw * ih / ((a.bbox[2] - a.bbox[0]) * (a.bbox[3] - a.bbox[1]));
}

namespace {
struct P {
  float x, z;
};

// Signed area of the parallelogram (b - a) x (c - a), float32 like the reference kernel.
float cross(P a, P b, P c) { return (b.x - a.x) * (c.z - a.z) - (b.z - a.z) * (c.x - a.x); }
}  // namespace

// Footprint corners on the camera ground plane. The length axis points along (cos ry, -sin ry).
BevFootprint bev_footprint(const KittiObject& o) {
  const float c = std::cos(static_cast<float>(o.ry)), s = std::sin(static_cast<float>(o.ry));
  const float hl = static_cast<float>(o.l) / 2, hw = static_cast<float>(o.w) / 2;
  const float cx[4] = {-hl, -hl, hl, hl}, cz[4] = {-hw, hw, hw, -hw};
  BevFootprint f;
  for (int i = 0; i < 4; ++i) {
    f.x[i] = c * cx[i] + s * cz[i] + static_cast<float>(o.x);
    f.z[i] = -s * cx[i] + c * cz[i] + static_cast<float>(o.z);
  }
  f.min_x = std::min(std::min(f.x[0], f.x[1]), std::min(f.x[2], f.x[3]));
  f.max_x = std::max(std::max(f.x[0], f.x[1]), std::max(f.x[2], f.x[3]));
  f.min_z = std::min(std::min(f.z[0], f.z[1]), std::min(f.z[2], f.z[3]));
  f.max_z = std::max(std::max(f.z[0], f.z[1]), std::max(f.z[2], f.z[3]));
  return f;
}

bool bev_apart(const BevFootprint& a, const BevFootprint& b) {
  return a.max_x < b.min_x || b.max_x < a.min_x || a.max_z < b.min_z || b.max_z < a.min_z;
}

// Clips a's footprint by each edge of b's (Sutherland-Hodgman). Unlike the reference's
// vertex-collection kernel this stays exact for coincident or edge-sharing boxes, where the
// reference is known to return garbage (eval.md §A4.2); elsewhere both agree to float32 rounding.
float bev_intersection_area_f32(const BevFootprint& a, const BevFootprint& b) {
  // Orient b counter-clockwise in (x, z) so that "inside" is the positive side of every edge.
  std::array<P, 4> clip;
  for (int i = 0; i < 4; ++i) clip[i] = {b.x[i], b.z[i]};
  if (cross(clip[0], clip[1], clip[2]) < 0) std::reverse(clip.begin(), clip.end());
  // Each clip adds at most one vertex to a convex polygon: 4 + 4 fit in 8 (fixed buffers, no
  // allocation in this hot loop).
  std::array<P, 8> poly, next;
  std::size_t n = 4;
  for (int i = 0; i < 4; ++i) poly[i] = {a.x[i], a.z[i]};
  for (int e = 0; e < 4 && n > 0; ++e) {
    const P e0 = clip[e], e1 = clip[(e + 1) % 4];
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const P p = poly[i], q = poly[(i + 1) % n];
      const float dp = cross(e0, e1, p), dq = cross(e0, e1, q);
      if (dp >= 0) next[m++] = p;
      if ((dp >= 0) != (dq >= 0)) {
        const float t = dp / (dp - dq);
        next[m++] = {p.x + t * (q.x - p.x), p.z + t * (q.z - p.z)};
      }
    }
    std::swap(poly, next);
    n = m;
  }
  if (n < 3) return 0.0f;
  double area = 0;  // float32 cross products, float64 accumulation
  for (std::size_t i = 1; i + 1 < n; ++i) area += cross(poly[0], poly[i], poly[i + 1]) / 2.0;
  return static_cast<float>(std::abs(area));
}

float bev_intersection_area_f32(const KittiObject& a, const KittiObject& b) {
  return bev_intersection_area_f32(bev_footprint(a), bev_footprint(b));
}

double bev_iou_from_area(const KittiObject& a, const KittiObject& b, float inter_f) {
  const double inter = inter_f;
  const float iou = static_cast<float>(inter / (a.l * a.w + b.l * b.w - inter));
  return iou;
}

double iou_3d_from_area(const KittiObject& a, const KittiObject& b, float inter_f) {
  // Camera y points down: a box spans [y - h, y].
  const double ih = std::min(a.y, b.y) - std::max(a.y - a.h, b.y - b.h);
  if (ih <= 0) return 0.0;
  const double inter = static_cast<double>(inter_f) * ih;
  return inter / (a.l * a.h * a.w + b.l * b.h * b.w - inter);
}

double bev_iou(const KittiObject& a, const KittiObject& b) {
  return bev_iou_from_area(a, b, bev_intersection_area_f32(a, b));
}

double iou_3d(const KittiObject& a, const KittiObject& b) {
  return iou_3d_from_area(a, b, bev_intersection_area_f32(a, b));
}

std::vector<double> overlap_matrix(const std::vector<KittiObject>& dets,
                                   const std::vector<KittiObject>& gts, int metric) {
  std::vector<double> m(dets.size() * gts.size(), 0.0);
  for (std::size_t j = 0; j < dets.size(); ++j)
    for (std::size_t i = 0; i < gts.size(); ++i) {
      const KittiObject& d = dets[j];
      const KittiObject& g = gts[i];
      double v = 0;
      if (metric == 0) {
        v = image_iou(d, g);
      } else {
        // Cheap rejection: footprints farther apart than their half-diagonals cannot touch.
        const double rd = std::hypot(d.l, d.w) / 2, rg = std::hypot(g.l, g.w) / 2;
        if (std::hypot(d.x - g.x, d.z - g.z) <= rd + rg)
          v = metric == 1 ? bev_iou(d, g) : iou_3d(d, g);
      }
      m[j * gts.size() + i] = v;
    }
  return m;
}

}  // namespace lidardet::eval
