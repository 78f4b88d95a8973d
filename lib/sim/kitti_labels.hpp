// KITTI camera labels for simulated objects: the virtual camera's calib, 2D boxes with
// near-plane clipping, truncation (1 - visible share of the projected box, data.md 1.7),
// occlusion levels from the visible fraction of rays, and the DontCare rules of SceneConfig.
#pragma once
#include <vector>

#include "io/kitti_calib.hpp"
#include "io/kitti_label.hpp"
#include "sim/scene_config.hpp"
#include "sim/sensor.hpp"
#include "sim/simulator.hpp"

namespace lidardet::sim {

// calib/*.txt for the camera: P2, R0_rect and Tr_velo_to_cam from the YAML; P0 = K [I | 0],
// P1 and P3 shifted by a 0.54 m stereo baseline, Tr_imu_to_velo = [I | 0].
KittiCalib make_kitti_calib(const CameraSpec& camera);

// Fills the camera fields of `o` (in_camera, bbox, truncation, occlusion, dont_care,
// labelled) from its box_lidar, visible_fraction, points_in_box and distance.
void label_for_camera(SimObject& o, const KittiCalib& calib, const CameraSpec& camera,
                      const SceneConfig& config);

// label_2 lines of a frame: labelled objects in object order, DontCare ones last.
std::vector<KittiObject> kitti_labels(const SimFrame& frame, const KittiCalib& calib);

}  // namespace lidardet::sim
