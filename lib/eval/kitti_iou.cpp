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

// Footprint corners on the camera ground plane. The length axis points along (cos ry, -sin ry).
std::array<P, 4> corners(const KittiObject& o) {
  const float c = std::cos(static_cast<float>(o.ry)), s = std::sin(static_cast<float>(o.ry));
  const float hl = static_cast<float>(o.l) / 2, hw = static_cast<float>(o.w) / 2;
  const float cx[4] = {-hl, -hl, hl, hl}, cz[4] = {-hw, hw, hw, -hw};
  std::array<P, 4> out;
  for (int i = 0; i < 4; ++i)
    out[i] = {c * cx[i] + s * cz[i] + static_cast<float>(o.x),
              -s * cx[i] + c * cz[i] + static_cast<float>(o.z)};
  return out;
}

// Signed area of the parallelogram (b - a) x (c - a), float32 like the reference kernel.
float cross(P a, P b, P c) { return (b.x - a.x) * (c.z - a.z) - (b.z - a.z) * (c.x - a.x); }
}  // namespace

// Clips a's footprint by each edge of b's (Sutherland-Hodgman). Unlike the reference's
// vertex-collection kernel this stays exact for coincident or edge-sharing boxes, where the
// reference is known to return garbage (eval.md §A4.2); elsewhere both agree to float32 rounding.
float bev_intersection_area_f32(const KittiObject& a, const KittiObject& b) {
  const auto ca = corners(a), cb = corners(b);
  // Orient b counter-clockwise in (x, z) so that "inside" is the positive side of every edge.
  std::array<P, 4> clip = cb;
  if (cross(clip[0], clip[1], clip[2]) < 0) std::reverse(clip.begin(), clip.end());
  std::vector<P> poly(ca.begin(), ca.end()), next;
  for (int e = 0; e < 4 && !poly.empty(); ++e) {
    const P e0 = clip[e], e1 = clip[(e + 1) % 4];
    next.clear();
    for (std::size_t i = 0; i < poly.size(); ++i) {
      const P p = poly[i], q = poly[(i + 1) % poly.size()];
      const float dp = cross(e0, e1, p), dq = cross(e0, e1, q);
      if (dp >= 0) next.push_back(p);
      if ((dp >= 0) != (dq >= 0)) {
        const float t = dp / (dp - dq);
        next.push_back({p.x + t * (q.x - p.x), p.z + t * (q.z - p.z)});
      }
    }
    std::swap(poly, next);
  }
  if (poly.size() < 3) return 0.0f;
  double area = 0;  // float32 cross products, float64 accumulation
  for (std::size_t i = 1; i + 1 < poly.size(); ++i)
    area += cross(poly[0], poly[i], poly[i + 1]) / 2.0;
  return static_cast<float>(std::abs(area));
}

double bev_iou(const KittiObject& a, const KittiObject& b) {
  const double inter = bev_intersection_area_f32(a, b);
  const float iou = static_cast<float>(inter / (a.l * a.w + b.l * b.w - inter));
  return iou;
}

double iou_3d(const KittiObject& a, const KittiObject& b) {
  // Camera y points down: a box spans [y - h, y].
  const double ih = std::min(a.y, b.y) - std::max(a.y - a.h, b.y - b.h);
  if (ih <= 0) return 0.0;
  const double inter = static_cast<double>(bev_intersection_area_f32(a, b)) * ih;
  return inter / (a.l * a.h * a.w + b.l * b.h * b.w - inter);
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
