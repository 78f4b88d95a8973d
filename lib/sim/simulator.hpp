// lidardet's LiDAR scene simulator: one call makes a labelled frame from a seed.
//
//   SensorSpec sensor = load_sensor("configs/sim/hdl64.yaml");
//   SceneConfig scene = load_scene_config("configs/sim/scene.yaml");
//   Simulator sim(sensor, scene);
//   SimFrame f = sim.simulate(seed, frame_index);   // deterministic in (seed, frame_index)
//
// Frames (sensor.hpp has the full conventions):
//  - points: lidar frame (vehicle axes, origin at the sensor), channels x, y, z, intensity;
//    ordered ring by ring from the top beam, by increasing azimuth within a ring. Add
//    (mount_x, mount_y, mount_z) for the vehicle frame.
//  - range_image: rows = beams (row 0 = top), cols = azimuth columns (col c at vehicle azimuth
//    pi (1 - 2 (c + 0.5) / cols)), 3 channels per pixel: range (m, from the sensor; -1 for no
//    return), intensity, elongation. A point's pixel is in point_row / point_col. The range
//    is measured along the ray actually cast, which deviates from the column centre by the
//    sensor's azimuth_jitter (0 for waymo-top, so its range image converts back exactly).
//  - objects: every labelled road user of the scene, boxes in both frames, with its point
//    counts, Waymo difficulty and the KITTI camera label fields.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/box3d.hpp"
#include "core/point_cloud.hpp"
#include "sim/scene.hpp"
#include "sim/scene_config.hpp"
#include "sim/sensor.hpp"

namespace lidardet::sim {

struct RangeImage {
  int rows = 0, cols = 0;
  std::vector<float> data;  // rows * cols * 3: range, intensity, elongation

  float range(int r, int c) const { return data[(static_cast<std::size_t>(r) * cols + c) * 3]; }
  float intensity(int r, int c) const {
    return data[(static_cast<std::size_t>(r) * cols + c) * 3 + 1];
  }
  float elongation(int r, int c) const {
    return data[(static_cast<std::size_t>(r) * cols + c) * 3 + 2];
  }
};

struct SimObject {
  int id = 0;               // index in the frame's object list (stable within the frame)
  std::string kitti_class;  // Car, Van, Truck, Pedestrian, Cyclist
  std::string waymo_class;  // Vehicle, Pedestrian, Cyclist
  Box3D box_vehicle;        // centre in the vehicle frame (ground ~ z = 0)
  Box3D box_lidar;          // the same box in the lidar frame (KITTI velodyne)
  bool moving = false;
  double distance = 0;          // horizontal distance from the sensor to the box centre, m
  int points_in_box = 0;        // returns of the frame inside box_lidar (faces included)
  int object_points = 0;        // returns whose ray hit this object's surface
  int ideal_points = 0;         // rays that would hit it with nothing in front and no dropout
  double visible_fraction = 0;  // first hits on the object (before dropout) / ideal rays
  int waymo_difficulty = 1;     // 2 (LEVEL_2) when points_in_box <= the config's threshold

  // KITTI camera label (see kitti_labels.hpp): only meaningful when in_camera.
  bool in_camera = false;        // its projection overlaps image_2
  bool dont_care = false;        // in the image but too far, too small or with too few points
  bool labelled = false;         // written to label_2 (as itself, or as DontCare when dont_care)
  double truncation = 0;         // 1 - visible part of the projected box
  int occlusion = 0;             // 0..2 from visible_fraction
  std::array<double, 4> bbox{};  // left, top, right, bottom (pixels, clipped)
};

struct SimFrame {
  std::uint64_t seed = 0;
  std::string scene_type;
  PointCloud points;  // lidar frame, x y z intensity
  std::vector<std::int32_t> point_row, point_col;
  std::vector<std::int32_t> point_object;  // index into objects, -1 background or ground
  RangeImage range_image;
  // Second returns, when the sensor models them (sensor.hpp second_return): the same layout
  // as range_image (range -1 where a pixel has none; rows = cols = 0 when not modelled), and
  // their exact hit points (lidar frame, x y z intensity) with their pixels. They are not part
  // of `points`, whose counts (points_in_box, statistics, KITTI output) stay first-return only.
  RangeImage second_range_image;
  PointCloud second_points;
  std::vector<std::int32_t> second_point_row, second_point_col;
  std::vector<SimObject> objects;
  // Road plane under the sensor in the lidar frame: a x + b y + c z + d = 0, (a, b, c) unit
  // and pointing up.
  std::array<double, 4> ground_plane{};
};

class Simulator {
 public:
  Simulator(SensorSpec sensor, SceneConfig scene);

  const SensorSpec& sensor() const { return sensor_; }
  const SceneConfig& scene_config() const { return scene_; }

  // The scene of frame `index` of a run seeded `seed`.
  Scene make_scene(std::uint64_t seed, std::uint64_t index) const;
  // Scene generation, ray casting and labels for that frame.
  SimFrame simulate(std::uint64_t seed, std::uint64_t index) const;
  // Ray casting and labels for a given scene (used by tests with hand-built scenes); `noise_seed`
  // drives jitter, range noise and dropout.
  SimFrame simulate_scene(const Scene& scene, std::uint64_t noise_seed) const;

 private:
  SensorSpec sensor_;
  SceneConfig scene_;
};

}  // namespace lidardet::sim
