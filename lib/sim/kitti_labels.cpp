#include "sim/kitti_labels.hpp"

#include <algorithm>
#include <cmath>

#include "core/geometry.hpp"
#include "io/kitti_box.hpp"

namespace lidardet::sim {

KittiCalib make_kitti_calib(const CameraSpec& camera) {
  KittiCalib c;
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) {
      c.P2(r, k) = camera.P2[r * 4 + k];
      c.Tr_velo_to_cam(r, k) = camera.Tr_velo_to_cam[r * 4 + k];
    }
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) c.R0_rect(r, k) = camera.R0_rect[r * 3 + k];
  c.P0.leftCols<3>() = c.P2.leftCols<3>();
  const double baseline = 0.54 * c.P2(0, 0);  // KITTI's stereo baseline in pixels
  c.P1 = c.P0;
  c.P1(0, 3) = -baseline;
  c.P3 = c.P2;
  c.P3(0, 3) -= baseline;
  c.Tr_imu_to_velo.leftCols<3>().setIdentity();
  return c;
}

namespace {
// The projected 2D extent of a box, clipping its edges at a near plane in front of the camera.
bool project_extent(const Box3D& b, const KittiCalib& calib, double out[4]) {
  const double c = std::cos(b.yaw), s = std::sin(b.yaw);
  Eigen::Vector3d rect[8];
  for (int i = 0; i < 8; ++i) {
    const double lx = (i & 1 ? 0.5 : -0.5) * b.l, ly = (i & 2 ? 0.5 : -0.5) * b.w;
    const double lz = (i & 4 ? 0.5 : -0.5) * b.h;
    rect[i] = calib.lidar_to_rect({b.x + c * lx - s * ly, b.y + s * lx + c * ly, b.z + lz});
  }
  constexpr double kNear = 0.1;
  std::vector<Eigen::Vector3d> pts;
  for (int i = 0; i < 8; ++i) {
    if (rect[i].z() >= kNear) pts.push_back(rect[i]);
    for (int bit : {1, 2, 4}) {  // the three edges leaving corner i towards higher indices
      const int j = i | bit;
      if (j == i) continue;
      const double zi = rect[i].z(), zj = rect[j].z();
      if ((zi < kNear) != (zj < kNear)) {
        const double a = (kNear - zi) / (zj - zi);
        pts.push_back(rect[i] + a * (rect[j] - rect[i]));
      }
    }
  }
  if (pts.empty()) return false;
  out[0] = out[1] = 1e300;
  out[2] = out[3] = -1e300;
  for (const auto& p : pts) {
    const Eigen::Vector3d img = calib.rect_to_image(p);
    out[0] = std::min(out[0], img.x());
    out[1] = std::min(out[1], img.y());
    out[2] = std::max(out[2], img.x());
    out[3] = std::max(out[3], img.y());
  }
  return true;
}
}  // namespace

void label_for_camera(SimObject& o, const KittiCalib& calib, const CameraSpec& camera,
                      const SceneConfig& config) {
  o.in_camera = o.dont_care = o.labelled = false;
  double raw[4];
  if (!project_extent(o.box_lidar, calib, raw)) return;
  const double W = camera.width - 1, H = camera.height - 1;
  const double clip[4] = {std::clamp(raw[0], 0.0, W), std::clamp(raw[1], 0.0, H),
                          std::clamp(raw[2], 0.0, W), std::clamp(raw[3], 0.0, H)};
  const double raw_area = (raw[2] - raw[0]) * (raw[3] - raw[1]);
  const double clip_area = (clip[2] - clip[0]) * (clip[3] - clip[1]);
  if (!(clip_area > 0) || !(raw_area > 0)) return;
  o.in_camera = true;
  for (int k = 0; k < 4; ++k) o.bbox[k] = clip[k];
  o.truncation = std::clamp(1.0 - clip_area / raw_area, 0.0, 1.0);
  const double v = o.visible_fraction;
  o.occlusion = v >= config.occlusion_visible[0] ? 0 : v >= config.occlusion_visible[1] ? 1 : 2;
  if (o.points_in_box == 0 && o.object_points == 0) return;  // wholly hidden: not annotated
  o.labelled = true;
  const double height_px = o.bbox[3] - o.bbox[1] + 1;
  o.dont_care = o.distance > config.label_max_distance ||
                o.points_in_box < config.label_min_points || height_px < config.label_min_height_px;
}

std::vector<KittiObject> kitti_labels(const SimFrame& frame, const KittiCalib& calib) {
  std::vector<KittiObject> out, dont_care;
  for (const SimObject& o : frame.objects) {
    if (!o.labelled) continue;
    if (o.dont_care) {
      KittiObject d;
      d.type = "DontCare";
      d.truncated = -1;
      d.occluded = -1;
      d.alpha = -10;
      d.bbox = o.bbox;
      d.h = d.w = d.l = -1;
      d.x = d.y = d.z = -1000;
      d.ry = -10;
      dont_care.push_back(d);
      continue;
    }
    KittiObject k = box_to_kitti(o.box_lidar, calib);
    k.ry = wrap_angle(k.ry);  // KITTI keeps ry in [-pi, pi]
    k.alpha = kitti_alpha(k.ry, k.x, k.z);
    k.truncated = o.truncation;
    k.occluded = o.occlusion;
    k.bbox = o.bbox;
    out.push_back(k);
  }
  out.insert(out.end(), dont_care.begin(), dont_care.end());
  return out;
}

}  // namespace lidardet::sim
