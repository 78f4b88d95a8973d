#include "sim/scene_config.hpp"

#include "core/error.hpp"
#include "sim/yaml_util.hpp"

namespace lidardet::sim {

namespace {
Interval interval(const YAML::Node& n, const std::string& key, const std::string& file,
                  const std::string& path) {
  const auto v = yaml_doubles(n, key, file, path, 2);
  if (!(v[0] <= v[1])) fail(file, 0, path + "." + key, "expected [lo, hi] with lo <= hi");
  return {v[0], v[1]};
}

double fraction(const YAML::Node& n, const std::string& key, const std::string& file,
                const std::string& path) {
  const double v = yaml_double(n, key, file, path);
  if (!(v >= 0 && v <= 1)) fail(file, 0, path + "." + key, "expected a value in [0, 1]");
  return v;
}

double nonneg(const YAML::Node& n, const std::string& key, const std::string& file,
              const std::string& path) {
  const double v = yaml_double(n, key, file, path);
  if (!(v >= 0)) fail(file, 0, path + "." + key, "expected a value >= 0");
  return v;
}
}  // namespace

const ClassShape& SceneConfig::shape(const std::string& cls) const {
  auto it = classes.find(cls);
  if (it == classes.end()) fail(file, 0, "classes." + cls, "missing (required)");
  return it->second;
}

SceneConfig load_scene_config(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  SceneConfig c;
  c.file = path;
  const auto extent = yaml_doubles(root, "road_extent", path, "", 2);
  c.road_begin = extent[0];
  c.road_end = extent[1];
  if (!(c.road_begin < 0 && c.road_end > 0))
    fail(path, 0, "road_extent", "expected [begin < 0, end > 0] around the ego vehicle");
  c.ground_roughness = nonneg(root, "ground_roughness", path, "");
  c.ground_albedo = fraction(root, "ground_albedo", path, "");

  const YAML::Node types = yaml_map(root, "scene_types", path, "");
  for (const auto& kv : types) {
    SceneTypeConfig t;
    t.name = kv.first.as<std::string>();
    const std::string p = "scene_types." + t.name;
    const YAML::Node n = kv.second;
    t.probability = nonneg(n, "probability", path, p);
    t.road_half_width = interval(n, "road_half_width", path, p);
    t.sidewalk_width = interval(n, "sidewalk_width", path, p);
    t.kerb_height = interval(n, "kerb_height", path, p);
    t.lane_width = nonneg(n, "lane_width", path, p);
    t.parking_lane_width = nonneg(n, "parking_lane_width", path, p);
    t.max_slope_deg = nonneg(n, "max_slope_deg", path, p);
    t.max_road_yaw_deg = nonneg(n, "max_road_yaw_deg", path, p);
    t.building_fill = fraction(n, "building_fill", path, p);
    t.building_setback = interval(n, "building_setback", path, p);
    t.building_length = interval(n, "building_length", path, p);
    t.building_depth = interval(n, "building_depth", path, p);
    t.building_height = interval(n, "building_height", path, p);
    t.wall_probability = fraction(n, "wall_probability", path, p);
    t.pole_spacing = nonneg(n, "pole_spacing", path, p);
    t.tree_spacing = nonneg(n, "tree_spacing", path, p);
    t.bush_density = nonneg(n, "bushes_per_100m", path, p);
    t.cross_street_probability = fraction(n, "cross_street_probability", path, p);
    t.parked_per_100m = nonneg(n, "parked_per_100m", path, p);
    t.moving_vehicles = nonneg(n, "moving_vehicles", path, p);
    t.pedestrians = nonneg(n, "pedestrians", path, p);
    t.cyclists = nonneg(n, "cyclists", path, p);
    t.crossing_pedestrian_fraction = fraction(n, "crossing_pedestrian_fraction", path, p);
    t.van_fraction = fraction(n, "van_fraction", path, p);
    t.truck_fraction = fraction(n, "truck_fraction", path, p);
    if (t.lane_width < 2.0 || t.road_half_width.lo < t.lane_width)
      fail(path, 0, p + ".road_half_width", "expected at least one lane (>= lane_width)");
    c.types.push_back(t);
  }
  if (c.types.empty()) fail(path, 0, "scene_types", "expected at least one scene type");
  double total = 0;
  for (const auto& t : c.types) total += t.probability;
  if (!(total > 0)) fail(path, 0, "scene_types", "expected probabilities summing to > 0");

  const YAML::Node classes = yaml_map(root, "classes", path, "");
  for (const auto& kv : classes) {
    const std::string name = kv.first.as<std::string>();
    const std::string p = "classes." + name;
    ClassShape s;
    const auto mean = yaml_doubles(kv.second, "size_mean", path, p, 3);
    const auto sd = yaml_doubles(kv.second, "size_std", path, p, 3);
    for (int i = 0; i < 3; ++i) {
      if (!(mean[i] > 0 && sd[i] >= 0)) fail(path, 0, p, "expected positive sizes");
      s.mean[i] = mean[i];
      s.stddev[i] = sd[i];
    }
    s.waymo_class = yaml_string(kv.second, "waymo_class", path, p);
    c.classes[name] = s;
  }
  for (const char* cls : {"Car", "Van", "Truck", "Pedestrian", "Cyclist"}) c.shape(cls);

  const YAML::Node labels = yaml_map(root, "labels", path, "");
  c.label_max_distance = nonneg(labels, "max_distance", path, "labels");
  c.label_min_points = yaml_int(labels, "min_points", path, "labels");
  c.label_min_height_px = nonneg(labels, "min_height_px", path, "labels");
  c.waymo_level2_max_points = yaml_int(labels, "waymo_level2_max_points", path, "labels");
  const auto occ = yaml_doubles(labels, "occlusion_visible", path, "labels", 2);
  if (!(occ[0] >= occ[1] && occ[1] >= 0 && occ[0] <= 1))
    fail(path, 0, "labels.occlusion_visible", "expected [a, b] with 1 >= a >= b >= 0");
  c.occlusion_visible[0] = occ[0];
  c.occlusion_visible[1] = occ[1];
  return c;
}

}  // namespace lidardet::sim
