// Shared helpers for the simulator tests: the committed configs and small hand-built scenes.
#pragma once
#include <string>

#include "common/test_paths.hpp"
#include "sim/scene.hpp"
#include "sim/scene_config.hpp"
#include "sim/sensor.hpp"

namespace lidardet::sim::test {

inline std::string config(const std::string& rel) {
  return lidardet::test::source_dir() + "/configs/sim/" + rel;
}
inline SensorSpec hdl64() { return load_sensor(config("hdl64.yaml")); }
inline SensorSpec waymo_top() { return load_sensor(config("waymo_top.yaml")); }
inline SceneConfig scene_config() { return load_scene_config(config("scene.yaml")); }

// The same sensor without noise, jitter or dropout: exact geometry.
inline SensorSpec ideal(SensorSpec s) {
  s.azimuth_jitter = 0;
  s.range_noise_stddev = 0;
  s.intensity_noise_stddev = 0;
  s.dropout_base = s.grazing_dropout = s.dark_dropout = 0;
  return s;
}

inline Primitive make_box(double cx, double cy, double z0, double z1, double l, double w,
                          double yaw, int object = -1) {
  Primitive p;
  p.shape = Shape::Box;
  p.cx = cx;
  p.cy = cy;
  p.cz = (z0 + z1) / 2;
  p.hx = l / 2;
  p.hy = w / 2;
  p.hz = (z1 - z0) / 2;
  p.yaw = yaw;
  p.object = object;
  p.albedo = 0.5f;
  return p;
}

// One labelled object made of a single box standing on flat ground.
inline Scene single_box_scene(double x, double y, double l, double w, double h, double yaw,
                              const std::string& cls = "Car") {
  Scene s;
  s.type = "test";
  SceneObject o;
  o.kitti_class = cls;
  o.waymo_class = "Vehicle";
  o.box.x = x;
  o.box.y = y;
  o.box.z = h / 2;
  o.box.l = l;
  o.box.w = w;
  o.box.h = h;
  o.box.yaw = yaw;
  o.box.label = cls;
  s.objects.push_back(o);
  s.primitives.push_back(make_box(x, y, 0, h, l, w, yaw, 0));
  return s;
}

}  // namespace lidardet::sim::test
