#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "models/anchor_head_decode.hpp"
#include "models/center_head_decode.hpp"

using namespace lidardet;

namespace {
AnchorHeadSettings kitti_like() {
  AnchorHeadSettings s;
  s.classes = {{"Car", {{3.9, 1.6, 1.56}}, {0, 1.57}, -1.78},
               {"Pedestrian", {{0.8, 0.6, 1.73}}, {0, 1.57}, -0.6},
               {"Cyclist", {{1.76, 0.6, 1.73}}, {0, 1.57}, -0.6}};
  return s;
}
}  // namespace

TEST(AnchorHead, AnchorLayoutFollowsOpenPCDetOrder) {
  auto s = kitti_like();
  auto a = generate_anchors(s, 4, 3);  // H=4 along y, W=3 along x
  ASSERT_EQ(a.size(), 4u * 3u * 6u);
  // Anchor j inside a cell = class_set * 2 + rotation; cells row-major (y, then x).
  const Box3D& last = a[(3 * 3 + 2) * 6 + 5];
  EXPECT_EQ(last.label, "Cyclist");
  EXPECT_DOUBLE_EQ(last.yaw, 1.57);
  EXPECT_DOUBLE_EQ(last.x, 70.4);  // align_center false: the last column sits on the max edge
  EXPECT_DOUBLE_EQ(last.y, 40.0);
  EXPECT_DOUBLE_EQ(a[0].x, 0.0);
  EXPECT_DOUBLE_EQ(a[0].z, -1.78 + 1.56 / 2);
}

TEST(AnchorHead, ZeroDeltasReproduceAnchorsAndLogitsPickClass) {
  auto s = kitti_like();
  const int h = 2, w = 2, A = 6, K = 3;
  std::vector<float> cls(A * K * h * w, -5.0f), box(A * 7 * h * w, 0.0f), dir(A * 2 * h * w, 0.0f);
  // Cell (y=1, x=0), anchor j=3 (Pedestrian, rot 1.57): class 1 logit 2.0, dir bin 1 wins.
  const int cell = 1 * w + 0, j = 3;
  cls[(j * K + 1) * h * w + cell] = 2.0f;
  dir[(j * 2 + 1) * h * w + cell] = 1.0f;
  box[(j * 7 + 3) * h * w + cell] = std::log(2.0f);  // doubles the length
  FeatureMap c{cls.data(), A * K, h, w}, b{box.data(), A * 7, h, w}, d{dir.data(), A * 2, h, w};
  auto dec = decode_anchor_head(s, c, b, d);
  auto anchors = generate_anchors(s, h, w);
  ASSERT_EQ(dec.boxes.size(), anchors.size());
  const int idx = cell * A + j;
  EXPECT_EQ(dec.labels[idx], 1);
  EXPECT_NEAR(dec.scores[idx], 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(dec.boxes[idx].l, 2 * anchors[idx].l, 1e-5);
  EXPECT_NEAR(dec.boxes[idx].x, anchors[idx].x, 1e-9);
  // rot 1.57: limit_period(1.57 - 0.785, 0, pi) + 0.785 + pi * 1 = 1.57 + pi.
  EXPECT_NEAR(dec.boxes[idx].yaw, 1.57 + std::numbers::pi, 1e-9);
  auto final_boxes = anchor_head_post_process(s, dec);
  ASSERT_EQ(final_boxes.boxes.size(), 1u);  // every other anchor scores sigmoid(-5) < 0.1
  EXPECT_EQ(final_boxes.boxes[0].label, "Pedestrian");
}

TEST(AnchorHead, WrongChannelCountIsAnError) {
  auto s = kitti_like();
  std::vector<float> z(100 * 4, 0.0f);
  FeatureMap bad{z.data(), 17, 2, 2};
  EXPECT_THROW(decode_anchor_head(s, bad, bad, bad), std::exception);
}

namespace {
struct CenterMaps {
  int k, h, w;
  std::vector<float> hm, center, cz, dim, rot, iou;
  CenterMaps(int k_, int h_, int w_)
      : k(k_),
        h(h_),
        w(w_),
        hm(k_ * h_ * w_, -10.0f),
        center(2 * h_ * w_, 0.0f),
        cz(h_ * w_, 0.0f),
        dim(3 * h_ * w_, 0.0f),
        rot(2 * h_ * w_, 0.0f),
        iou(h_ * w_, 0.0f) {}
  CenterHeadOutputs outputs() {
    return {{hm.data(), k, h, w},  {center.data(), 2, h, w}, {cz.data(), 1, h, w},
            {dim.data(), 3, h, w}, {rot.data(), 2, h, w},    {iou.data(), 1, h, w}};
  }
};
}  // namespace

TEST(CenterHead, OpenPCDetPeakDecodesWithIouRectification) {
  CenterHeadSettings s;
  s.class_names = {"Vehicle", "Pedestrian", "Cyclist"};
  s.iou_rectifier = {0.68, 0.71, 0.65};
  s.nms = CenterHeadSettings::Nms::MMDetMultiClass;
  s.per_class_nms = {{0.75, 4096, 500}, {0.6, 4096, 500}, {0.55, 4096, 500}};
  CenterMaps m(3, 8, 10);
  const int row = 5, col = 7, cell = row * 10 + col;
  m.hm[2 * 80 + cell] = 1.0f;  // Cyclist
  m.center[cell] = 0.25f;
  m.center[80 + cell] = 0.5f;
  m.cz[cell] = 1.2f;
  m.dim[cell] = std::log(1.8f);
  m.dim[80 + cell] = std::log(0.6f);
  m.dim[2 * 80 + cell] = std::log(1.7f);
  m.rot[cell] = 0.0f;       // cos
  m.rot[80 + cell] = 1.0f;  // sin -> yaw pi/2
  m.iou[cell] = 0.6f;       // rectified iou (0.6 + 1) / 2 = 0.8
  auto dec = decode_center_head(s, m.outputs());
  ASSERT_EQ(dec.boxes.size(), 1u);
  const Box3D& b = dec.boxes[0];
  EXPECT_NEAR(b.x, (7 + 0.25) * 0.32 - 75.52, 1e-5);
  EXPECT_NEAR(b.y, (5 + 0.5) * 0.32 - 75.52, 1e-5);
  EXPECT_NEAR(b.z, 1.2, 1e-6);
  EXPECT_NEAR(b.l, 1.8, 1e-5);
  EXPECT_NEAR(b.w, 0.6, 1e-5);
  EXPECT_NEAR(b.yaw, std::numbers::pi / 2, 1e-6);
  EXPECT_EQ(dec.labels[0], 2);
  const double score = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(dec.scores[0], std::pow(score, 1 - 0.65) * std::pow(0.8, 0.65), 1e-5);
  EXPECT_EQ(center_head_post_process(s, dec).boxes.size(), 1u);
}

TEST(CenterHead, MMDet3DConventionAndIouPower) {
  CenterHeadSettings s;
  s.family = CenterHeadSettings::Family::MMDet3D;
  s.class_names = {"Car", "Pedestrian", "Cyclist"};
  s.range_x0 = s.range_y0 = -74.88;
  s.iou_power = 2.0;
  s.per_class_nms = {{0.8, 2048, 300}, {0.55, 1024, 100}, {0.55, 1024, 100}};
  CenterMaps m(3, 6, 6);
  const int cell = 2 * 6 + 3;
  m.hm[cell] = 3.0f;                  // Car
  m.dim[cell] = std::log(2.0f);       // d0: x-size at r = 0 -> width
  m.dim[36 + cell] = std::log(4.5f);  // d1 -> length
  m.rot[cell] = 0.0f;                 // sin r
  m.rot[36 + cell] = 1.0f;            // cos r -> r = 0 -> heading -pi/2
  m.iou[cell] = 0.5f;
  auto dec = decode_center_head(s, m.outputs());
  ASSERT_EQ(dec.boxes.size(), 1u);
  EXPECT_NEAR(dec.boxes[0].l, 4.5, 1e-5);
  EXPECT_NEAR(dec.boxes[0].w, 2.0, 1e-5);
  EXPECT_NEAR(dec.boxes[0].yaw, -std::numbers::pi / 2, 1e-6);
  EXPECT_NEAR(dec.scores[0], 0.25 / (1.0 + std::exp(-3.0)), 1e-6);
  // Below the threshold after the IoU power: nothing survives.
  m.iou[cell] = 0.1f;
  EXPECT_TRUE(decode_center_head(s, m.outputs()).boxes.empty());
}
