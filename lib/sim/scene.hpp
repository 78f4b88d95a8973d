// A procedural street scene in the vehicle frame (x forward, y left, z up, ground near z = 0):
// the ground surface, background structures and the labelled road users, all made of
// oriented boxes, vertical cylinders and spheres that the ray caster intersects.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/box3d.hpp"

namespace lidardet::sim {

enum class Shape : std::uint8_t { Box, Cylinder, Sphere };

// Box: centre (cx, cy, cz), half sizes (hx, hy, hz), yaw about +z.
// Cylinder (vertical axis): centre, radius = hx, half height = hz. Sphere: centre, radius = hx.
struct Primitive {
  Shape shape = Shape::Box;
  int object = -1;      // index into Scene::objects; -1 for background
  float albedo = 0.2f;  // diffuse reflectivity in [0, 1]
  double cx = 0, cy = 0, cz = 0, hx = 0, hy = 0, hz = 0, yaw = 0;
};

// A labelled road user. `box` is in the vehicle frame; its label is the KITTI class.
struct SceneObject {
  std::string kitti_class;  // Car, Van, Truck, Pedestrian, Cyclist
  std::string waymo_class;  // Vehicle, Pedestrian, Cyclist
  Box3D box;
  bool moving = false;
};

// Ground: z = slope_x * x + slope_y * y + roughness * texture(x, y), texture in [-1, 1] from a
// fixed hash (so the same place has the same bumps in every frame).
struct Ground {
  double slope_x = 0, slope_y = 0, roughness = 0;
  float albedo = 0.18f;  // road surface reflectivity
  std::uint64_t texture_seed = 0;
  double smooth_height(double x, double y) const { return slope_x * x + slope_y * y; }
  double height(double x, double y) const;
};

struct Scene {
  std::string type;  // urban, suburban
  Ground ground;
  std::vector<Primitive> primitives;
  std::vector<SceneObject> objects;
};

}  // namespace lidardet::sim
