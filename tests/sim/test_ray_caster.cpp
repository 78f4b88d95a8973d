// The ray caster against closed-form distances and against brute force over all primitives.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/ray_caster.hpp"
#include "sim/rng.hpp"
#include "sim/scene_generator.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

TEST(RayCaster, FlatGroundDistanceIsHeightOverSine) {
  Scene s;
  const RayCaster caster(s, 0, 0, 1.73, 200.0);
  Hit h;
  for (double el_deg : {-24.8, -8.83, -2.0}) {
    const double el = el_deg * M_PI / 180;
    ASSERT_TRUE(caster.cast(0.3, el, h));
    EXPECT_NEAR(h.t, 1.73 / std::sin(-el), 1e-9);
    EXPECT_EQ(h.primitive, kGround);
  }
  EXPECT_FALSE(caster.cast(0.0, 0.01, h));               // above the horizon: sky
  EXPECT_FALSE(caster.cast(0.0, -0.2 * M_PI / 180, h));  // ground beyond max range (495 m)
}

TEST(RayCaster, BoxCylinderSphereDistances) {
  Scene s;
  s.primitives.push_back(test::make_box(10, 0, 0, 3, 2, 2, 0.0));  // front face at x = 9
  Primitive cyl;
  cyl.shape = Shape::Cylinder;
  cyl.cx = 0;
  cyl.cy = 20;
  cyl.cz = 2;
  cyl.hx = cyl.hy = 0.5;
  cyl.hz = 2;
  s.primitives.push_back(cyl);
  Primitive sph;
  sph.shape = Shape::Sphere;
  sph.cx = -30;
  sph.cy = 0;
  sph.cz = 1.73;
  sph.hx = sph.hy = sph.hz = 2;
  s.primitives.push_back(sph);
  const RayCaster caster(s, 0, 0, 1.73, 200.0);
  Hit h;
  ASSERT_TRUE(caster.cast(0.0, 0.0, h));
  EXPECT_NEAR(h.t, 9.0, 1e-9);
  EXPECT_EQ(h.primitive, 0);
  EXPECT_NEAR(h.nx, -1.0, 1e-12);
  ASSERT_TRUE(caster.cast(M_PI / 2, 0.0, h));
  EXPECT_NEAR(h.t, 19.5, 1e-9);
  EXPECT_EQ(h.primitive, 1);
  ASSERT_TRUE(caster.cast(M_PI, 0.0, h));
  EXPECT_NEAR(h.t, 28.0, 1e-9);
  EXPECT_EQ(h.primitive, 2);
  // A rotated box: 45 degrees about z, a ray along +x meets its corner edge at x = 10 - sqrt(2).
  Scene r;
  r.primitives.push_back(test::make_box(10, 0, 0, 3, 2, 2, M_PI / 4));
  const RayCaster rc(r, 0, 0, 1.73, 200.0);
  ASSERT_TRUE(rc.cast(0.0, 0.0, h));
  EXPECT_NEAR(h.t, 10 - std::sqrt(2.0), 1e-9);
}

TEST(RayCaster, NearerPrimitiveOccludesFarther) {
  Scene s;
  s.primitives.push_back(test::make_box(30, 0, 0, 3, 2, 2, 0.0));
  s.primitives.push_back(test::make_box(15, 0, 0, 3, 2, 2, 0.0));
  const RayCaster caster(s, 0, 0, 1.73, 200.0);
  Hit h;
  ASSERT_TRUE(caster.cast(0.0, 0.0, h));
  EXPECT_EQ(h.primitive, 1);
  EXPECT_NEAR(h.t, 14.0, 1e-9);
}

// The azimuth grid must never change an answer: compare with testing every primitive.
TEST(RayCaster, AccelerationMatchesBruteForceOnGeneratedScenes) {
  const SceneConfig cfg = test::scene_config();
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Scene scene = generate_scene(cfg, seed);
    const RayCaster fast(scene, 0, 0, 1.73, 120.0);
    // Brute force: every primitive made part of one object, which cast_object tests one by
    // one without any acceleration; the ground separately.
    Scene all = scene;
    all.objects.assign(1, SceneObject{});
    for (auto& p : all.primitives) p.object = 0;
    const RayCaster brute(all, 0, 0, 1.73, 120.0);
    Scene ground_only;
    ground_only.ground = scene.ground;
    const RayCaster ground(ground_only, 0, 0, 1.73, 120.0);
    Rng rng(seed);
    int hits = 0, ties = 0;
    for (int k = 0; k < 3000; ++k) {
      const double az = rng.uniform(-M_PI, M_PI), el = rng.uniform(-0.43, 0.05);
      Hit best, h;
      best.t = 1e300;
      bool any = false;
      if (ground.cast(az, el, h)) {
        best = h;
        any = true;
      }
      if (brute.cast_object(0, az, el, h) && h.t < best.t) {
        best = h;
        any = true;
      }
      Hit got;
      const bool found = fast.cast(az, el, got);
      ASSERT_EQ(found, any) << "seed " << seed << " ray " << k;
      if (found) {
        ++hits;
        ASSERT_NEAR(got.t, best.t, 1e-9) << "seed " << seed << " ray " << k;
        // Coincident faces (a wheel flush with the body) tie; either primitive is right then.
        if (got.primitive != best.primitive) {
          ASSERT_GE(got.primitive, 0) << "seed " << seed << " ray " << k;
          ASSERT_GE(best.primitive, 0) << "seed " << seed << " ray " << k;
          ++ties;
        }
      }
    }
    EXPECT_GT(hits, 2000);  // the rays mostly hit something, so the comparison has teeth
    EXPECT_LT(ties, 30);
  }
}

}  // namespace
}  // namespace lidardet::sim
