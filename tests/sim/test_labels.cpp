// Labels from simulated frames: point counts, the ideal count of a face-on box computed from
// the beam table, KITTI camera fields and DontCare rules, Waymo difficulty.
#include <gtest/gtest.h>

#include <cmath>

#include "core/geometry.hpp"
#include "sim/kitti_labels.hpp"
#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

// A box facing the sensor straight on, taller than the mount, so only its front face can be
// hit: the rays reaching it are (beams within its elevation span) x (columns within its
// azimuth span), counted here from the beam table alone.
TEST(Labels, IdealPointsOfAFaceOnBoxMatchTheScanPattern) {
  const SensorSpec s = test::ideal(test::hdl64());
  const Simulator sim(s, test::scene_config());
  for (double d : {10.0, 25.0, 40.0}) {
    const double depth = 0.5, width = 1.6, height = 3.0;
    const Scene scene = test::single_box_scene(d + depth / 2, 0.0, depth, width, height, 0.0);
    const SimFrame f = sim.simulate_scene(scene, 1);
    int beams = 0;
    for (double el : s.inclinations)
      if (std::tan(el) * d >= -s.mount_z && std::tan(el) * d <= height - s.mount_z) ++beams;
    int cols = 0;
    for (int c = 0; c < s.columns; ++c) {
      const double az = s.column_azimuth(c);
      if (std::abs(az) < M_PI / 2 && std::abs(std::tan(az) * d) <= width / 2) ++cols;
    }
    ASSERT_EQ(f.objects.size(), 1u);
    EXPECT_EQ(f.objects[0].ideal_points, beams * cols) << "distance " << d;
    // Nothing in front and no dropout: every ideal ray is a return on the object.
    EXPECT_EQ(f.objects[0].object_points, beams * cols) << "distance " << d;
    EXPECT_DOUBLE_EQ(f.objects[0].visible_fraction, 1.0);
    EXPECT_EQ(f.objects[0].occlusion, 0);
  }
}

TEST(Labels, OccluderLowersVisibilityAndOcclusionLevel) {
  const SensorSpec s = test::ideal(test::hdl64());
  const Simulator sim(s, test::scene_config());
  Scene scene = test::single_box_scene(30, 0, 4, 1.8, 1.5, 0.0);
  // A wall at 15 m hiding the left 3/4 of the car's width.
  scene.primitives.push_back(test::make_box(15, 0.35, 0, 3, 0.2, 0.9, 0.0));
  const SimFrame f = sim.simulate_scene(scene, 1);
  const SimObject& o = f.objects[0];
  EXPECT_GT(o.ideal_points, 100);
  EXPECT_LT(o.visible_fraction, 0.5);
  EXPECT_GT(o.visible_fraction, 0.0);
  EXPECT_EQ(o.occlusion, 2);
  EXPECT_EQ(o.object_points, static_cast<int>(std::lround(o.visible_fraction * o.ideal_points)));
}

TEST(Labels, CameraFieldsTruncationAndDontCare) {
  const SensorSpec s = test::ideal(test::hdl64());
  const SceneConfig cfg = test::scene_config();
  const Simulator sim(s, cfg);
  {  // straight ahead at 20 m: inside the image, not truncated, labelled
    const SimFrame f = sim.simulate_scene(test::single_box_scene(20, 0, 3.9, 1.6, 1.5, 0.0), 1);
    const SimObject& o = f.objects[0];
    EXPECT_TRUE(o.in_camera);
    EXPECT_TRUE(o.labelled);
    EXPECT_FALSE(o.dont_care);
    EXPECT_DOUBLE_EQ(o.truncation, 0.0);
    EXPECT_GT(o.bbox[0], 0);
    EXPECT_LT(o.bbox[2], s.camera.width - 1);
    EXPECT_GE(o.points_in_box, cfg.label_min_points);
    EXPECT_EQ(o.waymo_difficulty, 1);
    const auto labels = kitti_labels(f, make_kitti_calib(s.camera));
    ASSERT_EQ(labels.size(), 1u);
    EXPECT_EQ(labels[0].type, "Car");
    EXPECT_NEAR(labels[0].z, 20 - 0.27, 1e-9);  // the camera sits 0.27 m ahead of the lidar
  }
  {  // at the left edge of the field of view (~40 deg): partly outside the image
    const SimFrame f = sim.simulate_scene(test::single_box_scene(8, 7, 3.9, 1.6, 1.5, 0.0), 1);
    EXPECT_TRUE(f.objects[0].in_camera);
    EXPECT_GT(f.objects[0].truncation, 0.05);
    EXPECT_LT(f.objects[0].truncation, 0.95);
  }
  {  // behind the car: not in the camera, not labelled
    const SimFrame f = sim.simulate_scene(test::single_box_scene(-15, 0, 3.9, 1.6, 1.5, 0.0), 1);
    EXPECT_FALSE(f.objects[0].in_camera);
    EXPECT_FALSE(f.objects[0].labelled);
    EXPECT_TRUE(kitti_labels(f, make_kitti_calib(s.camera)).empty());
  }
  {  // beyond the labelling distance: DontCare, written with KITTI's sentinel values
    const double far = cfg.label_max_distance + 10;
    const SimFrame f = sim.simulate_scene(test::single_box_scene(far, 0, 3.9, 1.6, 1.5, 0.0), 1);
    EXPECT_TRUE(f.objects[0].dont_care);
    const auto labels = kitti_labels(f, make_kitti_calib(s.camera));
    ASSERT_EQ(labels.size(), 1u);
    EXPECT_EQ(labels[0].type, "DontCare");
    EXPECT_EQ(labels[0].x, -1000);
    EXPECT_EQ(labels[0].ry, -10);
  }
}

TEST(Labels, FrameLabelsAreConsistentWithThePoints) {
  const SceneConfig cfg = test::scene_config();
  const Simulator sim(test::hdl64(), cfg);
  int labelled = 0, level2 = 0;
  for (int i = 0; i < 3; ++i) {
    const SimFrame f = sim.simulate(5, i);
    for (const SimObject& o : f.objects) {
      // points_in_box recounted independently with core's assignment.
      EXPECT_EQ(static_cast<std::size_t>(o.points_in_box),
                count_points_in_box(o.box_lidar, f.points.view()));
      EXPECT_EQ(o.waymo_difficulty, o.points_in_box <= cfg.waymo_level2_max_points ? 2 : 1);
      level2 += o.waymo_difficulty == 2;
      if (o.object_points > 0) EXPECT_GT(o.visible_fraction, 0.0);
      if (!o.labelled) continue;
      EXPECT_TRUE(o.in_camera);
      EXPECT_GE(o.bbox[0], 0);
      EXPECT_LE(o.bbox[2], 1241);
      EXPECT_LE(o.bbox[0], o.bbox[2]);
      EXPECT_LE(o.bbox[1], o.bbox[3]);
      const bool dont_care = o.distance > cfg.label_max_distance ||
                             o.points_in_box < cfg.label_min_points ||
                             o.bbox[3] - o.bbox[1] + 1 < cfg.label_min_height_px;
      EXPECT_EQ(o.dont_care, dont_care);
      if (!o.dont_care) {
        ++labelled;
        EXPECT_GE(o.points_in_box, cfg.label_min_points);  // visible objects have points
      }
    }
  }
  EXPECT_GT(labelled, 5);
  EXPECT_GT(level2, 0);
}

}  // namespace
}  // namespace lidardet::sim
