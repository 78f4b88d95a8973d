// Parameters of the procedural scenes, read from YAML (configs/sim/scene.yaml): street
// geometry per scene type, object sizes per class (data.md section 6.1) and counts.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace lidardet::sim {

struct Interval {
  double lo = 0, hi = 0;
};

struct ClassShape {
  double mean[3] = {0, 0, 0};  // l, w, h (metres)
  double stddev[3] = {0, 0, 0};
  std::string waymo_class;
};

struct SceneTypeConfig {
  std::string name;
  double probability = 0;
  Interval road_half_width, sidewalk_width, kerb_height;
  double lane_width = 3.3, parking_lane_width = 2.2;
  double max_slope_deg = 0, max_road_yaw_deg = 0;
  double building_fill = 0;  // fraction of the frontage covered by buildings
  Interval building_setback, building_length, building_depth, building_height;
  double wall_probability = 0;  // a wall or fence in front of a gap between buildings
  double pole_spacing = 0, tree_spacing = 0, bush_density = 0;  // metres / per 100 m
  double cross_street_probability = 0;
  double parked_per_100m = 0;                                 // per side of the road
  double moving_vehicles = 0, pedestrians = 0, cyclists = 0;  // Poisson means per scene
  double crossing_pedestrian_fraction = 0;
  double van_fraction = 0, truck_fraction = 0;
};

struct SceneConfig {
  std::string file;
  double road_begin = -90, road_end = 130;  // extent along the road (metres)
  double ground_roughness = 0;
  double ground_albedo = 0.18;
  // Occlusion levels from the visible fraction of an object's rays (0 at >= first, 1 at >=
  // second, 2 below).
  double occlusion_visible[2] = {0.9, 0.5};
  std::vector<SceneTypeConfig> types;
  std::map<std::string, ClassShape> classes;  // Car, Van, Truck, Pedestrian, Cyclist
  // Labelling rules (KITTI DontCare / Waymo difficulty).
  double label_max_distance = 70;  // beyond: DontCare
  int label_min_points = 5;        // fewer points in the box: DontCare
  double label_min_height_px = 12;
  int waymo_level2_max_points = 5;

  const ClassShape& shape(const std::string& cls) const;
};

SceneConfig load_scene_config(const std::string& path);

}  // namespace lidardet::sim
