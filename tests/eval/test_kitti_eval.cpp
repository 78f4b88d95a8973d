#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "eval/kitti_eval.hpp"
#include "eval/kitti_iou.hpp"
#include "kitti_test_object.hpp"

using namespace lidardet;
using namespace lidardet::eval;
using lidardet::test::kitti_obj;

namespace {
double ap(const KittiEvalResult& r, const std::string& cls, int metric, int diff, bool r40,
          int set = 0) {
  for (const auto& c : r.classes)
    if (c.cls == cls) return r40 ? c.ap_r40[set][metric][diff] : c.ap_r11[set][metric][diff];
  ADD_FAILURE() << "no class " << cls;
  return -1;
}

std::vector<KittiEvalFrame> perfect_frames(int n) {
  std::vector<KittiEvalFrame> frames;
  for (int f = 0; f < n; ++f) {
    KittiEvalFrame fr;
    fr.id = std::to_string(f);
    for (int k = 0; k < 5; ++k) {
      fr.gt.push_back(kitti_obj("Car", 8.0 * k));
      fr.det.push_back(kitti_obj("Car", 8.0 * k, 0.3 + 0.01 * (f * 5 + k) / n));
    }
    frames.push_back(fr);
  }
  return frames;
}
}  // namespace

TEST(KittiThresholds, WorkedExamplesOfTheSpec) {
  std::vector<double> v;
  for (int i = 0; i < 200; ++i) v.push_back(1.0 - i * 0.001);
  auto t = kitti_score_thresholds(v, 200);
  ASSERT_EQ(t.size(), 41u);
  EXPECT_DOUBLE_EQ(t[0], v[0]);
  EXPECT_DOUBLE_EQ(t[1], v[4]);
  EXPECT_DOUBLE_EQ(t[2], v[9]);
  EXPECT_DOUBLE_EQ(t[40], v[199]);
  v.resize(90);
  t = kitti_score_thresholds(v, 100);
  ASSERT_EQ(t.size(), 37u);
  const int idx[] = {0, 2, 4, 7, 9, 11, 14, 16, 19, 21};
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(t[i], v[idx[i]]) << i;
  EXPECT_DOUBLE_EQ(t.back(), v[89]);
  EXPECT_EQ(kitti_score_thresholds({0.5, 0.9, 0.7}, 10).size(), 3u);
}

TEST(KittiEval, PerfectPredictionsScore100) {
  auto r = evaluate_kitti(perfect_frames(12));  // 60 cars
  for (int m = 0; m < 3; ++m)
    for (int d = 0; d < 3; ++d) {
      EXPECT_NEAR(ap(r, "Car", m, d, true), 100.0, 1e-9) << m << d;
      EXPECT_NEAR(ap(r, "Car", m, d, false), 100.0, 1e-9) << m << d;
    }
  EXPECT_TRUE(r.aos);
  EXPECT_NEAR(ap(r, "Car", 3, 1, true), 100.0, 1e-9);
  EXPECT_EQ(ap(r, "Pedestrian", 2, 1, true), 0.0);  // no pedestrians at all
}

TEST(KittiEval, HandComputedSmallCase) {
  // Two GT cars; detections: TP 0.9, FP 0.8 (far away), TP 0.7.
  KittiEvalFrame a{
      "a", {kitti_obj("Car", 0)}, {kitti_obj("Car", 0, 0.9), kitti_obj("Car", 40, 0.8)}};
  KittiEvalFrame b{"b", {kitti_obj("Car", 0)}, {kitti_obj("Car", 0, 0.7)}};
  auto r = evaluate_kitti({a, b});
  // Thresholds 0.9, 0.7: precision 1 then 2/3; R11 = 1/11, R40 = (2/3)/40.
  EXPECT_NEAR(ap(r, "Car", 2, 0, false), 100.0 / 11.0, 1e-9);
  EXPECT_NEAR(ap(r, "Car", 2, 0, true), 100.0 * (2.0 / 3.0) / 40.0, 1e-9);
  // One GT, one TP: only slot 0 is set, so R40 (which skips it) is 0.
  auto one = evaluate_kitti({{"x", {kitti_obj("Car", 0)}, {kitti_obj("Car", 0, 0.5)}}});
  EXPECT_NEAR(ap(one, "Car", 1, 1, false), 100.0 / 11.0, 1e-9);
  EXPECT_EQ(ap(one, "Car", 1, 1, true), 0.0);
}

TEST(KittiEval, IgnoredGroundTruthIsNeitherTpNorFn) {
  auto frames = perfect_frames(12);
  // Add a heavily occluded car with a detection: ignored for Easy (occlusion > 0), so the
  // detection is absorbed (no FP) and the GT is no FN; for Hard it is a valid TP.
  KittiObject hidden = kitti_obj("Car", 80);
  hidden.occluded = 2;
  frames[0].gt.push_back(hidden);
  frames[0].det.push_back(kitti_obj("Car", 80, 0.99));
  auto r = evaluate_kitti(frames);
  EXPECT_NEAR(ap(r, "Car", 2, 0, true), 100.0, 1e-9);
  EXPECT_NEAR(ap(r, "Car", 2, 2, true), 100.0, 1e-9);
  for (const auto& c : r.classes)
    if (c.cls == "Car") {
      EXPECT_EQ(c.num_gt[0], 60);
      EXPECT_EQ(c.num_gt[2], 61);
    }
}

TEST(KittiEval, NeighbourClassAndDontCareAbsorbDetections) {
  auto frames = perfect_frames(12);
  // A Van GT under a Car detection (neighbouring class: no FP), a DontCare region covering a
  // Car detection (no FP for the 2D metric), and a Truck GT under a Car detection (a real FP).
  frames[0].gt.push_back(kitti_obj("Van", 100));
  frames[0].det.push_back(kitti_obj("Car", 100, 0.99));
  KittiObject dc = kitti_obj("DontCare", 140);
  dc.bbox = {1800, 50, 2000, 300};
  frames[1].gt.push_back(dc);
  frames[1].det.push_back(kitti_obj("Car", 140, 0.99));
  auto r = evaluate_kitti(frames);
  EXPECT_NEAR(ap(r, "Car", 0, 1, true), 100.0, 1e-9);  // both absorbed
  EXPECT_LT(ap(r, "Car", 2, 1, true), 100.0);          // DontCare only helps in 2D
  auto frames2 = perfect_frames(12);
  frames2[0].gt.push_back(kitti_obj("Truck", 100));
  frames2[0].det.push_back(kitti_obj("Car", 100, 0.99));
  EXPECT_LT(ap(evaluate_kitti(frames2), "Car", 2, 1, true), 100.0);
}

TEST(KittiEval, OverlapThresholdIsStrict) {
  KittiObject g = kitti_obj("Car", 0);
  // Slide a copy along camera x until the 2D IoU is exactly 0.5 (boxes 40 px wide, shift 40/3).
  KittiObject d = g;
  d.bbox[0] += 40.0 / 3.0;
  d.bbox[2] += 40.0 / 3.0;
  ASSERT_NEAR(image_iou(d, g), 0.5, 1e-12);
  d.type = "Pedestrian";
  g.type = "Pedestrian";
  d.score = 0.9;
  auto r = evaluate_kitti({{"x", {g}, {d}}});
  EXPECT_EQ(ap(r, "Pedestrian", 0, 1, false), 0.0);  // IoU 0.5 is not > 0.5
}

TEST(KittiEval, SmallDetectionOfAnotherClassAbsorbsGroundTruth) {
  // A 20 px tall Pedestrian detection on a Car GT that is only valid for Hard? No: a 30 px car
  // is valid for Moderate; the too-small (< 25) detection of another class is state 1, takes
  // part in matching and absorbs the GT, so it is neither TP nor FN (the reference's quirk).
  KittiObject g = kitti_obj("Car", 0, 0, 30);
  KittiObject d = kitti_obj("Car", 0, 0.9, 20);
  d.type = "Pedestrian";
  auto frames = perfect_frames(12);
  frames[0].gt.push_back(g);
  frames[0].det.push_back(d);
  auto r = evaluate_kitti(frames);
  for (const auto& c : r.classes)
    if (c.cls == "Car") EXPECT_EQ(c.num_gt[1], 61);
  EXPECT_NEAR(ap(r, "Car", 2, 1, true), 100.0, 1e-9);  // the absorbed GT is no FN
}

TEST(KittiEval, FrameAndBoxOrderDoNotMatter) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<KittiEvalFrame> frames;
  for (int f = 0; f < 20; ++f) {
    KittiEvalFrame fr;
    for (int k = 0; k < 6; ++k) {
      fr.gt.push_back(kitti_obj(k % 3 ? "Car" : "Pedestrian", 6.0 * k));
      KittiObject d =
          kitti_obj(k % 3 ? "Car" : "Pedestrian", 6.0 * k + (u(rng) - 0.5), 0.05 + u(rng));
      d.z += u(rng) - 0.5;
      d.ry += u(rng) - 0.5;
      fr.det.push_back(d);
    }
    fr.det.push_back(kitti_obj("Car", 100 + f, u(rng)));  // false positives
    frames.push_back(fr);
  }
  auto a = evaluate_kitti(frames);
  auto shuffled = frames;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (auto& f : shuffled) {
    std::shuffle(f.gt.begin(), f.gt.end(), rng);
    std::shuffle(f.det.begin(), f.det.end(), rng);
  }
  auto b = evaluate_kitti(shuffled);
  for (const std::string cls : {"Car", "Pedestrian"})
    for (int m = 0; m < 4; ++m)
      for (int d = 0; d < 3; ++d) EXPECT_NEAR(ap(a, cls, m, d, true), ap(b, cls, m, d, true), 1e-9);
  EXPECT_GT(ap(a, "Car", 0, 1, true), 0.0);
}

TEST(KittiIou, RotatedBevAgainstAreaFormula) {
  KittiObject a = kitti_obj("Car", 0), b = kitti_obj("Car", 0);
  EXPECT_NEAR(bev_iou(a, b), 1.0, 1e-6);  // identical boxes (the python kernel fails here)
  // Shift by half a length along the length axis, (cos ry, -sin ry): half the area overlaps.
  b.x = a.x + std::cos(0.1) * 3.9 / 2;
  b.z = a.z - std::sin(0.1) * 3.9 / 2;
  EXPECT_NEAR(bev_iou(a, b), 1.0 / 3.0, 1e-5);
  EXPECT_NEAR(iou_3d(a, b), 1.0 / 3.0, 1e-5);
  b.y = a.y - 0.75;  // and half the height: the overlap is a quarter of one volume
  EXPECT_NEAR(iou_3d(a, b), 0.25 / (2 - 0.25), 1e-5);
}
