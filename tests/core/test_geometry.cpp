// Property tests of the rotated-box geometry (BEV and 3D IoU, points in boxes).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "core/geometry.hpp"

namespace {

using lidardet::bev_iou;
using lidardet::Box3D;
using lidardet::iou_3d;
constexpr double kPi = std::numbers::pi;

Box3D random_box(std::mt19937& rng, double spread = 3.0) {
  std::uniform_real_distribution<double> c(-spread, spread), d(0.3, 5.0), yaw(-kPi, kPi);
  return {c(rng), c(rng), c(rng) / 3, d(rng), d(rng), d(rng), yaw(rng), "Car", 1.0f};
}

// Rotates the box by `a` about the z axis through (px, py), then translates it by t.
Box3D moved(Box3D b, double a, double px, double py, double tx, double ty, double tz) {
  const double c = std::cos(a), s = std::sin(a);
  const double dx = b.x - px, dy = b.y - py;
  b.x = px + c * dx - s * dy + tx;
  b.y = py + s * dx + c * dy + ty;
  b.z += tz;
  b.yaw += a;
  return b;
}

// The test's own inside check (independent of point_in_box): the point in box axes.
bool inside(const Box3D& b, double x, double y, double z) {
  const double c = std::cos(b.yaw), s = std::sin(b.yaw);
  const double u = (x - b.x) * c + (y - b.y) * s, v = -(x - b.x) * s + (y - b.y) * c;
  return std::abs(u) <= b.l / 2 && std::abs(v) <= b.w / 2 && std::abs(z - b.z) <= b.h / 2;
}

TEST(Geometry, HandComputedValues) {
  // Unit squares offset by half a side: intersection 0.5, union 1.5.
  const Box3D a{0, 0, 0, 1, 1, 1, 0, "", 1};
  Box3D b = a;
  b.x = 0.5;
  EXPECT_NEAR(bev_iou(a, b), 1.0 / 3, 1e-12);
  EXPECT_NEAR(iou_3d(a, b), 1.0 / 3, 1e-12);
  // A unit square and itself turned 45 deg: the intersection is a regular octagon whose area is
  // 1 - 4 corner triangles with legs (1 - 1/sqrt2)... = 2 (sqrt2 - 1).
  b = a;
  b.yaw = kPi / 4;
  const double oct = 2 * (std::sqrt(2.0) - 1);
  EXPECT_NEAR(lidardet::bev_intersection_area(a, b), oct, 1e-12);
  EXPECT_NEAR(bev_iou(a, b), oct / (2 - oct), 1e-12);
  // Same footprint, z extents [-1, 1] and [0, 2]: overlap 1 of height 2: IoU = 1 / (2+2-1).
  const Box3D p{0, 0, 0, 2, 3, 2, 0.3, "", 1};
  Box3D q = p;
  q.z = 1;
  EXPECT_NEAR(iou_3d(p, q), 1.0 / 3, 1e-12);
  EXPECT_NEAR(bev_iou(p, q), 1.0, 1e-12);
}

TEST(Geometry, IouWithItselfIsOneAndIouIsSymmetric) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    const Box3D a = random_box(rng), b = random_box(rng);
    ASSERT_NEAR(bev_iou(a, a), 1.0, 1e-12) << i;
    ASSERT_NEAR(iou_3d(a, a), 1.0, 1e-12) << i;
    ASSERT_NEAR(bev_iou(a, b), bev_iou(b, a), 1e-12) << i;
    ASSERT_NEAR(iou_3d(a, b), iou_3d(b, a), 1e-12) << i;
    ASSERT_GE(iou_3d(a, b), 0.0);
    ASSERT_LE(iou_3d(a, b), 1.0);
  }
}

TEST(Geometry, InvariantUnderSharedTranslationAndRotation) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> ang(-kPi, kPi), t(-50, 50);
  int overlapping = 0;
  for (int i = 0; i < 2000; ++i) {
    const Box3D a = random_box(rng), b = random_box(rng);
    const double r = ang(rng), px = t(rng), py = t(rng), tx = t(rng), ty = t(rng), tz = t(rng);
    const Box3D a2 = moved(a, r, px, py, tx, ty, tz), b2 = moved(b, r, px, py, tx, ty, tz);
    ASSERT_NEAR(bev_iou(a, b), bev_iou(a2, b2), 1e-9) << i;
    ASSERT_NEAR(iou_3d(a, b), iou_3d(a2, b2), 1e-9) << i;
    overlapping += iou_3d(a, b) > 0;
  }
  EXPECT_GT(overlapping, 500);  // the property was exercised on real overlaps, not just zeros
}

TEST(Geometry, AgreesWithMonteCarloWithin001) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  int checked = 0;
  while (checked < 25) {
    const Box3D a = random_box(rng, 1.5), b = random_box(rng, 1.5);
    const double exact = iou_3d(a, b);
    if (exact < 0.05) continue;
    // Sample uniformly in box a: P(inside b) = V(a∩b) / V(a).
    const double c = std::cos(a.yaw), s = std::sin(a.yaw);
    constexpr int kSamples = 100000;
    int hits = 0;
    for (int k = 0; k < kSamples; ++k) {
      const double lu = u(rng) * a.l, lv = u(rng) * a.w, lz = u(rng) * a.h;
      hits += inside(b, a.x + c * lu - s * lv, a.y + s * lu + c * lv, a.z + lz);
    }
    const double va = a.l * a.w * a.h, vb = b.l * b.w * b.h;
    const double inter = va * hits / kSamples;
    EXPECT_NEAR(exact, inter / (va + vb - inter), 0.01) << checked;
    ++checked;
  }
}

TEST(Geometry, TouchingBoxesHaveZeroIou) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> ang(-kPi, kPi), t(-20, 20);
  for (int i = 0; i < 200; ++i) {
    // Two boxes sharing the face x = 1 (BEV edge), and two stacked on z = 0 (3D only).
    const Box3D a{0, 0, 0, 2, 1.5, 1, 0, "", 1}, b{2, 0.3, 0, 2, 1.0, 1, 0, "", 1};
    const Box3D below{0, 0, -0.5, 2, 2, 1, 0, "", 1}, above{0.4, 0, 0.5, 2, 2, 1, 0.5, "", 1};
    const double r = ang(rng), px = t(rng), py = t(rng);
    const auto m = [&](const Box3D& x) { return moved(x, r, px, py, 0, 0, 0); };
    ASSERT_NEAR(bev_iou(m(a), m(b)), 0.0, 1e-9) << i;
    ASSERT_NEAR(iou_3d(m(a), m(b)), 0.0, 1e-9) << i;
    ASSERT_GT(bev_iou(m(below), m(above)), 0.3);
    ASSERT_EQ(iou_3d(m(below), m(above)), 0.0) << i;
  }
}

TEST(Geometry, NestedBoxesHaveVolumeRatio) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> frac(0.1, 0.9), ang(-kPi, kPi), off(-1, 1);
  for (int i = 0; i < 500; ++i) {
    const Box3D outer{off(rng), off(rng), off(rng), 6, 4, 3, ang(rng), "", 1};
    // Inner box: same yaw, scaled and shifted so that it stays inside.
    Box3D inner = outer;
    inner.l = outer.l * frac(rng);
    inner.w = outer.w * frac(rng);
    inner.h = outer.h * frac(rng);
    const double su = off(rng) * (outer.l - inner.l) / 2, sv = off(rng) * (outer.w - inner.w) / 2;
    inner.x += std::cos(outer.yaw) * su - std::sin(outer.yaw) * sv;
    inner.y += std::sin(outer.yaw) * su + std::cos(outer.yaw) * sv;
    inner.z += off(rng) * (outer.h - inner.h) / 2;
    const double ratio3 = inner.l * inner.w * inner.h / (outer.l * outer.w * outer.h);
    const double ratio2 = inner.l * inner.w / (outer.l * outer.w);
    ASSERT_NEAR(iou_3d(inner, outer), ratio3, 1e-9) << i;
    ASSERT_NEAR(bev_iou(inner, outer), ratio2, 1e-9) << i;
  }
  // A small box turned 45 deg in the middle of a big one.
  const Box3D big{0, 0, 0, 10, 10, 2, 0, "", 1}, small{0, 0, 0, 1, 1, 1, kPi / 4, "", 1};
  EXPECT_NEAR(iou_3d(big, small), 1.0 / 200, 1e-12);
}

TEST(Geometry, ThreeDVersusBev) {
  std::mt19937 rng(6);
  for (int i = 0; i < 500; ++i) {
    Box3D a = random_box(rng), b = random_box(rng);
    // Equal z extents: the 3D IoU equals the BEV IoU.
    b.z = a.z, b.h = a.h;
    ASSERT_NEAR(iou_3d(a, b), bev_iou(a, b), 1e-12) << i;
    // Otherwise 3D IoU <= the BEV intersection over the union of the footprints, and
    // intersection_volume_3d = BEV area x z overlap.
    b = random_box(rng);
    const double zo = std::max(
        0.0, std::min(a.z + a.h / 2, b.z + b.h / 2) - std::max(a.z - a.h / 2, b.z - b.h / 2));
    ASSERT_NEAR(lidardet::intersection_volume_3d(a, b), lidardet::bev_intersection_area(a, b) * zo,
                1e-12);
  }
}

TEST(Geometry, DegenerateBoxesGiveZeroNotNan) {
  const Box3D a{0, 0, 0, 2, 2, 2, 0, "", 1};
  Box3D flat = a;
  flat.l = 0;
  EXPECT_EQ(bev_iou(a, flat), 0.0);
  EXPECT_EQ(iou_3d(flat, flat), 0.0);
  Box3D thin = a;
  thin.h = 0;
  EXPECT_EQ(iou_3d(a, thin), 0.0);
  Box3D far = a;
  far.x = 1e6;
  EXPECT_EQ(bev_iou(a, far), 0.0);
}

TEST(Geometry, PointInBoxIncludesFacesAndMargin) {
  const Box3D b{1, 2, 0, 4, 2, 2, kPi / 2, "", 1};  // length along +y
  EXPECT_TRUE(lidardet::point_in_box(b, 1, 4, 0));  // front face centre (y = 2 + l/2)
  EXPECT_TRUE(lidardet::point_in_box(b, 2, 2, 1));  // side face edge (x = 1 + w/2, z top)
  EXPECT_FALSE(lidardet::point_in_box(b, 1, 4.01, 0));
  EXPECT_FALSE(lidardet::point_in_box(b, 2.5, 2, 0));  // would be inside if l ran along x
  EXPECT_TRUE(lidardet::point_in_box(b, 1, 4.01, 0, 0.02));
  EXPECT_FALSE(lidardet::point_in_box(b, 1, 2, 1.01));
}

TEST(Geometry, AssignPointsToFirstContainingBox) {
  lidardet::PointCloud c({"x", "y", "z"});
  // Box 0 spans x in [-1, 1], box 1 x in [0.9, 3.1]: 0.95 lies in both, 3 only in box 1.
  for (float x : {0.f, 0.95f, 3.f, 10.f}) {
    const float p[3] = {x, 0, 0};
    c.push_back(p);
  }
  const std::vector<Box3D> boxes = {{0, 0, 0, 2, 2, 2, 0, "", 1}, {2, 0, 0, 2.2, 2, 2, 0, "", 1}};
  EXPECT_EQ(lidardet::assign_points_to_boxes(boxes, c.view()), (std::vector<int>{0, 0, 1, -1}));
  EXPECT_EQ(lidardet::count_points_in_box(boxes[1], c.view()), 2u);
}

TEST(Geometry, WrapAngleRange) {
  EXPECT_NEAR(lidardet::wrap_angle(3 * kPi / 2), -kPi / 2, 1e-12);
  EXPECT_NEAR(lidardet::wrap_angle(-3 * kPi / 2), kPi / 2, 1e-12);
  EXPECT_NEAR(lidardet::wrap_angle(0.25), 0.25, 1e-15);
  for (double a = -20; a < 20; a += 0.37) {
    const double w = lidardet::wrap_angle(a);
    ASSERT_GE(w, -kPi);
    ASSERT_LT(w, kPi);
    ASSERT_NEAR(std::remainder(w - a, 2 * kPi), 0, 1e-12);
  }
}

}  // namespace
