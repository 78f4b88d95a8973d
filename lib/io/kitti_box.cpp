#include "io/kitti_box.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lidardet {

Box3D kitti_to_box(const KittiObject& o, const KittiCalib& calib) {
  const Eigen::Vector3d p = calib.rect_to_lidar({o.x, o.y, o.z});
  Box3D b;
  b.x = p.x();
  b.y = p.y();
  b.z = p.z() + o.h / 2;  // label location is the bottom-face centre
  b.l = o.l;
  b.w = o.w;
  b.h = o.h;
  b.yaw = -(o.ry + std::numbers::pi / 2);
  b.label = o.type;
  b.score = o.has_score ? static_cast<float>(o.score) : 1.0f;
  return b;
}

double kitti_alpha(double ry, double x, double z) { return wrap_angle(ry - std::atan2(x, z)); }

KittiObject box_to_kitti(const Box3D& b, const KittiCalib& calib, bool with_score) {
  KittiObject o;
  o.type = b.label;
  const Eigen::Vector3d p = calib.lidar_to_rect({b.x, b.y, b.z - b.h / 2});
  o.x = p.x();
  o.y = p.y();
  o.z = p.z();
  o.h = b.h;
  o.w = b.w;
  o.l = b.l;
  o.ry = -b.yaw - std::numbers::pi / 2;
  o.alpha = kitti_alpha(o.ry, o.x, o.z);
  if (with_score) {
    o.score = b.score;
    o.has_score = true;
  }
  return o;
}

std::array<Eigen::Vector3d, 8> kitti_corners_rect(const KittiObject& o) {
  const double c = std::cos(o.ry), s = std::sin(o.ry);
  std::array<Eigen::Vector3d, 8> out;
  int k = 0;
  for (double dy : {0.0, -o.h})  // bottom face first (camera y points down)
    for (double dx : {o.l / 2, -o.l / 2})
      for (double dz : {o.w / 2, -o.w / 2}) {
        // Ry(ry) = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
        out[k++] = {o.x + c * dx + s * dz, o.y + dy, o.z - s * dx + c * dz};
      }
  return out;
}

std::optional<std::array<double, 4>> project_kitti_box(const KittiObject& o,
                                                       const KittiCalib& calib, int width,
                                                       int height) {
  double u0 = INFINITY, v0 = INFINITY, u1 = -INFINITY, v1 = -INFINITY;
  for (const auto& p : kitti_corners_rect(o)) {
    const Eigen::Vector3d uvd = calib.rect_to_image(p);
    if (!(uvd.z() > 0)) return std::nullopt;
    u0 = std::min(u0, uvd.x());
    u1 = std::max(u1, uvd.x());
    v0 = std::min(v0, uvd.y());
    v1 = std::max(v1, uvd.y());
  }
  const double wmax = width - 1.0, hmax = height - 1.0;
  if (u1 < 0 || v1 < 0 || u0 > wmax || v0 > hmax) return std::nullopt;
  return std::array<double, 4>{std::clamp(u0, 0.0, wmax), std::clamp(v0, 0.0, hmax),
                               std::clamp(u1, 0.0, wmax), std::clamp(v1, 0.0, hmax)};
}

}  // namespace lidardet
