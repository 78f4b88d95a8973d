// Generated scenes: plausible object sizes, no overlapping objects, objects on the ground,
// and the parts of every object inside its label box.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/geometry.hpp"
#include "sim/scene_generator.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

TEST(SceneGenerator, SameSeedSameScene) {
  const SceneConfig cfg = test::scene_config();
  const Scene a = generate_scene(cfg, 9), b = generate_scene(cfg, 9), c = generate_scene(cfg, 10);
  ASSERT_EQ(a.objects.size(), b.objects.size());
  for (std::size_t i = 0; i < a.objects.size(); ++i) EXPECT_EQ(a.objects[i].box, b.objects[i].box);
  EXPECT_EQ(a.primitives.size(), b.primitives.size());
  EXPECT_TRUE(a.objects.size() != c.objects.size() || !(a.objects[0].box == c.objects[0].box));
}

TEST(SceneGenerator, ObjectsArePlausibleAndDoNotOverlap) {
  const SceneConfig cfg = test::scene_config();
  std::set<std::string> types, classes;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const Scene s = generate_scene(cfg, seed);
    types.insert(s.type);
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
      const SceneObject& o = s.objects[i];
      classes.insert(o.kitti_class);
      const ClassShape& shape = cfg.shape(o.kitti_class);
      const double dims[3] = {o.box.l, o.box.w, o.box.h};
      for (int k = 0; k < 3; ++k) {
        EXPECT_GE(dims[k], shape.mean[k] - 2.5 * shape.stddev[k] - 1e-9);
        EXPECT_LE(dims[k], shape.mean[k] + 2.5 * shape.stddev[k] + 1e-9);
      }
      // Standing on the ground (or the kerb, at most 0.2 m up).
      const double bottom = o.box.z - o.box.h / 2;
      const double g = s.ground.smooth_height(o.box.x, o.box.y);
      EXPECT_GE(bottom, g - 1e-9);
      EXPECT_LE(bottom, g + 0.2);
      // Not on the ego vehicle (x in [-1.5, 3.5], |y| <= 1).
      EXPECT_FALSE(std::abs(o.box.x - 1.0) < 2.5 + o.box.l / 2 - 0.5 && std::abs(o.box.y) < 0.5)
          << o.kitti_class << " at " << o.box.x << ", " << o.box.y;
      for (std::size_t j = 0; j < i; ++j)
        EXPECT_EQ(bev_intersection_area(o.box, s.objects[j].box), 0.0)
            << "seed " << seed << " objects " << i << " and " << j;
    }
    // Every part of an object lies inside its label box (its corners, grown 2 cm).
    for (const Primitive& p : s.primitives) {
      if (p.object < 0) continue;
      const Box3D& b = s.objects[p.object].box;
      const double r = p.shape == Shape::Box ? 0 : p.hx;
      for (int k = 0; k < 8; ++k) {
        const double lx = (k & 1 ? 1 : -1) * (p.shape == Shape::Box ? p.hx : r);
        const double ly = (k & 2 ? 1 : -1) * (p.shape == Shape::Box ? p.hy : 0);
        const double lz = (k & 4 ? 1 : -1) * p.hz;
        const double c = std::cos(p.yaw), sn = std::sin(p.yaw);
        EXPECT_TRUE(
            point_in_box(b, p.cx + c * lx - sn * ly, p.cy + sn * lx + c * ly, p.cz + lz, 0.02))
            << "seed " << seed << " " << s.objects[p.object].kitti_class;
      }
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"suburban", "urban"}));
  for (const char* cls : {"Car", "Pedestrian", "Cyclist", "Van"})
    EXPECT_TRUE(classes.count(cls)) << cls;
}

TEST(SceneGenerator, WaymoConfigHasLargerVehiclesAndMorePedestrians) {
  const SceneConfig kitti = test::scene_config(),
                    waymo = load_scene_config(test::config("scene_waymo.yaml"));
  double kitti_len = 0, waymo_len = 0;
  int kitti_cars = 0, waymo_cars = 0, kitti_peds = 0, waymo_peds = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    for (const auto& o : generate_scene(kitti, seed).objects) {
      if (o.kitti_class == "Car") kitti_len += o.box.l, ++kitti_cars;
      kitti_peds += o.kitti_class == "Pedestrian";
    }
    for (const auto& o : generate_scene(waymo, seed).objects) {
      EXPECT_TRUE(o.waymo_class == "Vehicle" || o.waymo_class == "Pedestrian" ||
                  o.waymo_class == "Cyclist");
      if (o.kitti_class == "Car") waymo_len += o.box.l, ++waymo_cars;
      waymo_peds += o.kitti_class == "Pedestrian";
    }
  }
  ASSERT_GT(kitti_cars, 50);
  ASSERT_GT(waymo_cars, 50);
  EXPECT_NEAR(kitti_len / kitti_cars, 3.88, 0.2);  // data.md 6.1 means
  EXPECT_NEAR(waymo_len / waymo_cars, 4.60, 0.2);
  EXPECT_GT(waymo_peds, 2 * kitti_peds);
}

}  // namespace
}  // namespace lidardet::sim
