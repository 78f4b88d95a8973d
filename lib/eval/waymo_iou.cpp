#include "eval/waymo_iou.hpp"

#include <algorithm>
#include <cmath>

#include "core/geometry.hpp"

namespace lidardet::eval {

namespace {
// theta - floor(theta / 2pi + 0.5) * 2pi, in double (eval.md §B1.3, §B3.4).
double wrap_heading(double t) {
  constexpr double kTwoPi = 2.0 * M_PI;
  return t - std::floor(t / kTwoPi + 0.5) * kTwoPi;
}

bool degenerate(const Box3D& b) {
  for (double d : {b.l, b.w, b.h})
    if (!(d > 0.01) || d >= 1e6) return true;
  return false;
}
}  // namespace

double waymo_iou_3d(const Box3D& a, const Box3D& b) {
  if (degenerate(a) || degenerate(b)) return 0.0;
  const double bottom = std::max(a.z - a.h / 2, b.z - b.h / 2);
  const double top = std::min(a.z + a.h / 2, b.z + b.h / 2);
  if (top < bottom) return 0.0;
  // Cheap rejection by circumscribed circles: most pairs in a frame are far apart.
  const double dx = a.x - b.x, dy = a.y - b.y;
  const double reach = (std::hypot(a.l, a.w) + std::hypot(b.l, b.w)) / 2;
  if (dx * dx + dy * dy > reach * reach) return 0.0;
  const auto ca = bev_corners(a), cb = bev_corners(b);
  const double area = convex_intersection_area({ca.begin(), ca.end()}, {cb.begin(), cb.end()});
  const double inter = area * (top - bottom);
  const double uni = a.l * a.w * a.h + b.l * b.w * b.h - inter;
  if (uni <= 1e-6) return 0.0;
  return std::clamp(inter / uni, 0.0, 1.0);
}

float waymo_heading_accuracy(double pred_heading, double gt_heading) {
  constexpr float kPi = static_cast<float>(M_PI);
  const float hp = static_cast<float>(wrap_heading(pred_heading));
  const float hg = static_cast<float>(wrap_heading(gt_heading));
  float d = std::abs(hp - hg);
  if (d > kPi) d = 2 * kPi - d;
  return std::clamp(1.0f - d / kPi, 0.0f, 1.0f);
}

}  // namespace lidardet::eval
