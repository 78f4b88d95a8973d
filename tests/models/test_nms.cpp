#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "core/geometry.hpp"
#include "models/nms.hpp"

using namespace lidardet;

namespace {
Box3D box(double x, double y, double l, double w, double yaw) {
  Box3D b;
  b.x = x;
  b.y = y;
  b.z = 0;
  b.l = l;
  b.w = w;
  b.h = 1.5;
  b.yaw = yaw;
  return b;
}
}  // namespace

TEST(RotatedNms, KeepsHighestAndSuppressesOverlaps) {
  // Box 1 overlaps box 0 heavily; box 2 is far away. Scores put box 1 first.
  std::vector<Box3D> b = {box(0, 0, 4, 2, 0), box(0.2, 0, 4, 2, 0), box(20, 0, 4, 2, 0)};
  std::vector<float> s = {0.8f, 0.9f, 0.5f};
  auto keep = rotated_nms(b, s, {0.5, 0, 0});
  ASSERT_EQ(keep.size(), 2u);
  EXPECT_EQ(keep[0], 1);
  EXPECT_EQ(keep[1], 2);
}

TEST(RotatedNms, ThresholdIsStrict) {
  // Two unit squares offset by 1/3: IoU = (2/3) / (4/3) = 0.5 exactly.
  std::vector<Box3D> b = {box(0, 0, 1, 1, 0), box(1.0 / 3.0, 0, 1, 1, 0)};
  ASSERT_NEAR(bev_iou(b[0], b[1]), 0.5, 1e-12);
  std::vector<float> s = {0.9f, 0.8f};
  EXPECT_EQ(rotated_nms(b, s, {0.6, 0, 0}).size(), 2u);
  EXPECT_EQ(rotated_nms(b, s, {0.4, 0, 0}).size(), 1u);
}

TEST(RotatedNms, PreAndPostMaxTruncate) {
  std::vector<Box3D> b;
  std::vector<float> s;
  for (int i = 0; i < 10; ++i) {
    b.push_back(box(10.0 * i, 0, 4, 2, 0));
    s.push_back(0.1f * i);
  }
  auto keep = rotated_nms(b, s, {0.1, 5, 0});
  ASSERT_EQ(keep.size(), 5u);
  EXPECT_EQ(keep[0], 9);
  EXPECT_EQ(keep[4], 5);
  keep = rotated_nms(b, s, {0.1, 0, 3});
  ASSERT_EQ(keep.size(), 3u);
  EXPECT_EQ(keep[2], 7);
}

TEST(RotatedNms, TiesKeepInputOrderAndResultIsDeterministic) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-10, 10);
  std::vector<Box3D> b;
  std::vector<float> s;
  for (int i = 0; i < 300; ++i) {
    b.push_back(box(u(rng), u(rng), 4, 2, u(rng)));
    s.push_back(static_cast<float>(std::round((u(rng) + 10) * 2) / 40));  // many ties
  }
  auto a = rotated_nms(b, s, {0.2, 0, 0});
  auto c = rotated_nms(b, s, {0.2, 0, 0});
  EXPECT_EQ(a, c);
  // Every kept pair overlaps by at most the threshold; every dropped box overlaps a kept one.
  std::vector<char> kept(b.size(), 0);
  for (int i : a) kept[i] = 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = i + 1; j < a.size(); ++j) EXPECT_LE(bev_iou(b[a[i]], b[a[j]]), 0.2);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (kept[i]) continue;
    bool covered = false;
    for (int k : a) covered |= (s[k] >= s[i] && bev_iou(b[k], b[i]) > 0.2);
    EXPECT_TRUE(covered) << "box " << i;
  }
}

TEST(ClassSpecificNms, ClassesDoNotSuppressEachOther) {
  std::vector<Box3D> b = {box(0, 0, 4, 2, 0), box(0, 0, 4, 2, 0), box(0.1, 0, 4, 2, 0)};
  std::vector<float> s = {0.9f, 0.8f, 0.7f};
  std::vector<int> l = {0, 1, 0};
  auto keep = class_specific_nms(b, s, l, {{0.5, 0, 0}, {0.5, 0, 0}});
  EXPECT_EQ(keep, (std::vector<int>{0, 1}));
}

TEST(MMDetMultiClassNms, QuirkSwapsLengthAndWidth) {
  // Two 4x1 boxes side by side along y (centres 1.2 m apart): disjoint in truth, but turned
  // by -90 degrees they overlap heavily, so the reference quirk suppresses the second.
  std::vector<Box3D> b = {box(0, 0, 4, 1, 0), box(0, 1.2, 4, 1, 0)};
  ASSERT_EQ(bev_iou(b[0], b[1]), 0.0);
  std::vector<float> s = {0.9f, 0.8f};
  std::vector<int> l = {0, 0};
  EXPECT_EQ(mmdet_multi_class_nms(b, s, l, {{0.1, 0, 0}}, true).size(), 1u);
  EXPECT_EQ(mmdet_multi_class_nms(b, s, l, {{0.1, 0, 0}}, false).size(), 2u);
}
