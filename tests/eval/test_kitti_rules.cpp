// Hand-computed cases for the KITTI rules of eval.md §A2 (difficulty edges, neighbour classes,
// detection height) and §A5.3 (AOS), one rule per test.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "eval/kitti_eval.hpp"
#include "kitti_test_object.hpp"

using namespace lidardet;
using namespace lidardet::eval;
using lidardet::test::kitti_obj;

namespace {
// By value: callers pass the temporary result of evaluate_kitti.
KittiClassResult find(const KittiEvalResult& r, const std::string& cls) {
  for (const auto& c : r.classes)
    if (c.cls == cls) return c;
  throw std::runtime_error("no class " + cls);
}

// n frames, each with one perfectly detected object of `type` (ids and scores distinct).
std::vector<KittiEvalFrame> perfect(int n, const std::string& type) {
  std::vector<KittiEvalFrame> frames;
  for (int f = 0; f < n; ++f)
    frames.push_back(
        {std::to_string(f), {kitti_obj(type, 0)}, {kitti_obj(type, 0, 0.2 + 0.5 * f / n)}});
  return frames;
}
}  // namespace

TEST(KittiRules, GroundTruthHeightLimitIsInclusive) {
  // height <= MIN_HEIGHT is too hard: 40 px is Moderate, not Easy; 25 px is in no difficulty.
  KittiEvalFrame f{
      "a",
      {kitti_obj("Car", 0, 0, 40), kitti_obj("Car", 10, 0, 40.01), kitti_obj("Car", 20, 0, 25)},
      {}};
  const auto& car = find(evaluate_kitti({f}), "Car");
  EXPECT_EQ(car.num_gt[0], 1);  // only the 40.01 px one
  EXPECT_EQ(car.num_gt[1], 2);
  EXPECT_EQ(car.num_gt[2], 2);
}

TEST(KittiRules, OcclusionAndTruncationLimitsPerDifficulty) {
  auto with = [](int occluded, double truncated) {
    KittiObject o = kitti_obj("Car", 0);
    o.occluded = occluded;
    o.truncated = truncated;
    KittiEvalFrame f{"a", {o}, {}};
    return find(evaluate_kitti({f}), "Car").num_gt;
  };
  EXPECT_EQ(with(0, 0.15), (std::array<int, 3>{1, 1, 1}));  // limits are inclusive
  EXPECT_EQ(with(1, 0.0), (std::array<int, 3>{0, 1, 1}));
  EXPECT_EQ(with(2, 0.0), (std::array<int, 3>{0, 0, 1}));
  EXPECT_EQ(with(3, 0.0), (std::array<int, 3>{0, 0, 0}));
  EXPECT_EQ(with(0, 0.16), (std::array<int, 3>{0, 1, 1}));
  EXPECT_EQ(with(0, 0.31), (std::array<int, 3>{0, 0, 1}));
  EXPECT_EQ(with(0, 0.51), (std::array<int, 3>{0, 0, 0}));
}

TEST(KittiRules, PersonSittingIsThePedestrianNeighbour) {
  // 60 perfect pedestrians (at least 41 GTs, or R40 cannot reach 100: eval.md §A6), plus a
  // Person_sitting GT under a confident Pedestrian detection: not counted as a GT, and the
  // detection it absorbs is no FP, so AP stays 100.
  auto frames = perfect(60, "Pedestrian");
  frames[0].gt.push_back(kitti_obj("Person_sitting", 30));
  frames[0].det.push_back(kitti_obj("Pedestrian", 30, 0.99));
  const auto& ped = find(evaluate_kitti(frames), "Pedestrian");
  EXPECT_EQ(ped.num_gt[1], 60);
  EXPECT_NEAR(ped.ap_r40[0][2][1], 100.0, 1e-9);
  // A Cyclist GT there instead is no neighbour: the detection is a false positive ranked first,
  // so precision is i / (i + 1) at every threshold and AP drops below 100.
  auto frames2 = perfect(60, "Pedestrian");
  frames2[0].gt.push_back(kitti_obj("Cyclist", 30));
  frames2[0].det.push_back(kitti_obj("Pedestrian", 30, 0.99));
  EXPECT_LT(find(evaluate_kitti(frames2), "Pedestrian").ap_r40[0][2][1], 99.0);
}

TEST(KittiRules, DetectionHeightLimitIsStrictAndPerDifficulty) {
  // A lone, confident Car detection far from any GT: an FP unless it is too small
  // (|y2 - y1| < MIN_HEIGHT, i.e. < 40 for Easy, < 25 for Moderate).
  auto ap3d = [](double det_h) {
    auto frames = perfect(60, "Car");
    frames[0].det.push_back(kitti_obj("Car", 60, 0.99, det_h));
    const auto& car = find(evaluate_kitti(frames), "Car");
    return std::array<double, 2>{car.ap_r40[0][2][0], car.ap_r40[0][2][1]};
  };
  const auto small = ap3d(24.9);  // ignored for Easy and Moderate
  EXPECT_NEAR(small[0], 100.0, 1e-9);
  EXPECT_NEAR(small[1], 100.0, 1e-9);
  const auto edge = ap3d(25.0);  // ignored for Easy only
  EXPECT_NEAR(edge[0], 100.0, 1e-9);
  EXPECT_LT(edge[1], 99.0);
  const auto tall = ap3d(40.0);  // counts everywhere
  EXPECT_LT(tall[0], 99.0);
}

TEST(KittiRules, AosWeighsEachTruePositiveByItsHeadingError) {
  // Every detection is a TP with alpha off by pi/2: similarity (1 + cos)/2 = 1/2 per TP, so
  // AOS is half the (perfect) 2D AP; off by pi it would be 0.
  auto frames = perfect(60, "Car");
  for (auto& f : frames) f.det[0].alpha += std::numbers::pi / 2;
  auto r = evaluate_kitti(frames);
  ASSERT_TRUE(r.aos);
  const auto& car = find(r, "Car");
  EXPECT_NEAR(car.ap_r40[0][0][1], 100.0, 1e-9);
  EXPECT_NEAR(car.ap_r40[0][3][1], 50.0, 1e-9);
  for (auto& f : frames) f.det[0].alpha += std::numbers::pi / 2;
  EXPECT_NEAR(find(evaluate_kitti(frames), "Car").ap_r40[0][3][1], 0.0, 1e-9);
  // No valid alpha (-10) in the first frame with detections: no AOS at all.
  for (auto& f : frames) f.det[0].alpha = -10;
  EXPECT_FALSE(evaluate_kitti(frames).aos);
}
