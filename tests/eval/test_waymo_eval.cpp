// Waymo detection metrics (eval.md Part B): AP integration vectors, Hungarian matching, heading
// accuracy, LEVEL_1/LEVEL_2 semantics, range shards, thresholds, determinism and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "core/error.hpp"
#include "eval/waymo_ap.hpp"
#include "eval/waymo_eval.hpp"
#include "eval/waymo_hungarian.hpp"
#include "eval/waymo_iou.hpp"

using namespace lidardet;
using namespace lidardet::eval;
using waymo::WaymoObject;
using waymo::WaymoType;

namespace {
constexpr double kPi = std::numbers::pi;

WaymoObject obj(WaymoType type, double x, double y = 0, double l = 4.5, double w = 2.0,
                double yaw = 0, float score = 1.0f, int points = 100, int difficulty = 0,
                const std::string& ctx = "ctx", std::int64_t ts = 1000) {
  WaymoObject o;
  o.context_name = ctx;
  o.frame_timestamp_micros = ts;
  o.type = type;
  o.box.x = x, o.box.y = y, o.box.z = 1.0;
  o.box.l = l, o.box.w = w, o.box.h = 1.5, o.box.yaw = yaw;
  o.score = score;
  o.num_lidar_points_in_box = points;
  o.detection_difficulty_level = difficulty;
  return o;
}

const WaymoBreakdownResult& get(const WaymoEvalResult& r, const std::string& name) {
  const auto* b = r.find(name);
  if (!b) throw std::runtime_error("no breakdown " + name);
  return *b;
}
const std::string kVehL1 = "OBJECT_TYPE_TYPE_VEHICLE_LEVEL_1";
const std::string kVehL2 = "OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2";
}  // namespace

// The vectors of the official metrics_utils_test.cc (eval.md §B5.2).
TEST(WaymoAp, OfficialTestVectors) {
  EXPECT_EQ(waymo_mean_average_precision({}, {}), 0.0f);
  EXPECT_NEAR(waymo_mean_average_precision({0.1f}, {0.2f}), 0.02, 1e-7);
  EXPECT_NEAR(waymo_mean_average_precision({0.1f, 0.05f}, {0.2f, 1.0f}, 0.05f), 0.06125, 1e-7);
  EXPECT_NEAR(waymo_mean_average_precision({0.1f, 0.05f}, {0.2f, 1.0f}, 1.0f), 0.08, 1e-7);
  EXPECT_NEAR(waymo_mean_average_precision({0.1f, 0.0f, 0.05f}, {0.2f, 0.4f, 1.0f}), 0.06125, 1e-7);
}

TEST(WaymoAp, ScoreCutoffsAre101FromZeroToOne) {
  const auto c = waymo_score_cutoffs();
  EXPECT_EQ(c[0], 0.0f);
  EXPECT_EQ(c[50], 0.5f);
  EXPECT_EQ(c[99], static_cast<float>(0.99));
  EXPECT_EQ(c[100], 1.0f);
}

TEST(WaymoHungarian, FindsTheMaximumWeightWhereGreedyWouldNot) {
  // Greedy on the largest weight takes (0,0)=60 and leaves row 1 with nothing: total 60.
  const std::vector<std::int64_t> w = {60, 50, 55, 0};
  const auto a = waymo_hungarian(w, 2);
  EXPECT_EQ(a, (std::vector<int>{1, 0}));  // 50 + 55 = 105
}

TEST(WaymoHungarian, MatchesBruteForceOptimumOnRandomMatrices) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + trial % 6;
    std::vector<std::int64_t> w(n * n);
    for (auto& x : w) x = rng() % 4 == 0 ? 0 : 500000 + rng() % 500001;
    if (trial % 3 == 0)
      for (auto& x : w) x = x % 3 * 1000;  // many ties
    const auto a = waymo_hungarian(w, n);
    std::vector<int> perm(n), seen(n, 0);
    std::int64_t got = 0;
    for (int i = 0; i < n; ++i) {
      ASSERT_GE(a[i], 0);
      ASSERT_LT(a[i], n);
      ASSERT_FALSE(seen[a[i]]++) << "not a permutation";
      got += w[i * n + a[i]];
    }
    std::iota(perm.begin(), perm.end(), 0);
    std::int64_t best = 0;
    do {
      std::int64_t s = 0;
      for (int i = 0; i < n; ++i) s += w[i * n + perm[i]];
      best = std::max(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    EXPECT_EQ(got, best) << "trial " << trial;
  }
}

TEST(WaymoHungarian, TiesFollowTheRootAndNeighbourOrder) {
  // All equal: row 0 takes column 0 first; row 1 then reaches column 1 through its own edge.
  EXPECT_EQ(waymo_hungarian({5, 5, 5, 5}, 2), (std::vector<int>{0, 1}));
}

TEST(WaymoIou, AxisAlignedOverlapAndGuards) {
  Box3D a{0, 0, 0, 4, 2, 2, 0, "", 1}, b{1, 0, 0, 4, 2, 2, 0, "", 1};
  EXPECT_NEAR(waymo_iou_3d(a, b), 3.0 / 5.0, 1e-12);  // overlap 3 of union 5 along x
  Box3D c = b;
  c.z = 2.0;  // z extents touch at one plane: zero volume
  EXPECT_EQ(waymo_iou_3d(a, c), 0.0);
  Box3D tiny = a;
  tiny.h = 0.01;  // <= 0.01 m is degenerate
  EXPECT_EQ(waymo_iou_3d(tiny, tiny), 0.0);
  Box3D rot = a;
  rot.l = rot.w = 2;
  Box3D rot90 = rot;
  rot90.yaw = kPi / 2;
  EXPECT_NEAR(waymo_iou_3d(rot, rot90), 1.0, 1e-12);
}

TEST(WaymoIou, HeadingAccuracy) {
  EXPECT_FLOAT_EQ(waymo_heading_accuracy(0.3, 0.3), 1.0f);
  EXPECT_NEAR(waymo_heading_accuracy(0.0, kPi), 0.0f, 1e-6);
  EXPECT_NEAR(waymo_heading_accuracy(kPi / 2, 0.0), 0.5f, 1e-6);
  // Wrapping: 3pi/2 and -pi/2 are the same heading.
  EXPECT_NEAR(waymo_heading_accuracy(1.5 * kPi, -0.5 * kPi), 1.0f, 1e-6);
  // Across the +-pi seam the difference is small, not almost 2 pi.
  EXPECT_NEAR(waymo_heading_accuracy(kPi - 0.1, -kPi + 0.1), 1.0f - 0.2f / kPi, 1e-6);
}

TEST(WaymoEval, PerfectPredictionsScoreOne) {
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10, 0),
                                 obj(WaymoType::kPedestrian, 12, 5, 0.8, 0.8),
                                 obj(WaymoType::kCyclist, 40, -3, 1.8, 0.7, 0.4),
                                 obj(WaymoType::kVehicle, 60, 3, 4.5, 2, 1.0, 1, 100, 0, "b", 7)};
  auto pred = gt;
  for (auto& p : pred) p.score = 0.9f;
  const auto r = evaluate_waymo(gt, pred);
  EXPECT_EQ(r.num_frames, 2u);
  for (const auto& name : {kVehL1, kVehL2, std::string("OBJECT_TYPE_TYPE_PEDESTRIAN_LEVEL_2"),
                           std::string("OBJECT_TYPE_TYPE_CYCLIST_LEVEL_1"),
                           std::string("RANGE_TYPE_VEHICLE_[0, 30)_LEVEL_1"),
                           std::string("RANGE_TYPE_VEHICLE_[50, +inf)_LEVEL_2")}) {
    EXPECT_FLOAT_EQ(get(r, name).ap, 1.0f) << name;
    EXPECT_FLOAT_EQ(get(r, name).aph, 1.0f) << name;
  }
  EXPECT_FLOAT_EQ(r.maph_l2, 1.0f);
  // A Sign row with no GT and no predictions: recall 0 everywhere, area 0 (eval.md §B6).
  EXPECT_EQ(get(r, "OBJECT_TYPE_TYPE_SIGN_LEVEL_1").ap, 0.0f);
  const std::string text = format_waymo_result(r);
  EXPECT_NE(text.find("OBJECT_TYPE_TYPE_VEHICLE_LEVEL_1: [mAP 1] [mAPH 1]\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("RANGE_TYPE_CYCLIST_[30, 50)_LEVEL_2: [mAP 1] [mAPH 1]\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("x100): 100\n"), std::string::npos) << text;
  // 2 generators x 4 types (x3 ranges) x 2 levels.
  EXPECT_EQ(r.breakdowns.size(), (4u + 12u) * 2u);
  EXPECT_EQ(r.breakdowns[0].name, kVehL1);
  EXPECT_EQ(r.breakdowns[8].name, "RANGE_TYPE_VEHICLE_[0, 30)_LEVEL_1");
}

TEST(WaymoEval, HungarianMatchingBeatsGreedyOnIouSum) {
  // Pedestrians 2 m long on a line. GT A on [0,2], GT B on [1,3]. p0 on [0.45,2.45] overlaps A
  // best (0.633) and B too (0.569); p1 equals A. Greedy by score gives p0->A and leaves p1 and B
  // unmatched; the maximum IoU sum pairs p0->B, p1->A: two TPs.
  auto ped = [](double x, float score) {
    return obj(WaymoType::kPedestrian, x, 0, 2.0, 0.8, 0, score);
  };
  std::vector<WaymoObject> gt = {ped(1.0, 1), ped(2.0, 1)};
  std::vector<WaymoObject> pred = {ped(1.45, 0.9f), ped(1.0, 0.8f)};
  const auto r = evaluate_waymo(gt, pred);
  const auto& b = get(r, "OBJECT_TYPE_TYPE_PEDESTRIAN_LEVEL_1");
  EXPECT_EQ(b.tp[0], 2);
  EXPECT_EQ(b.fp[0], 0);
  EXPECT_EQ(b.fn[0], 0);
  // Above 0.8 only p0 is in the subset: it takes A (higher IoU), B is a FN.
  EXPECT_EQ(b.tp[85], 1);
  EXPECT_EQ(b.fn[85], 1);
  EXPECT_FLOAT_EQ(b.ap, 1.0f);
}

TEST(WaymoEval, FlippedBoxIsATruePositiveWithZeroHeadingAccuracy) {
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10, 0, 4.5, 2, 0.3)};
  std::vector<WaymoObject> pred = {obj(WaymoType::kVehicle, 10, 0, 4.5, 2, 0.3 + kPi, 0.9f)};
  auto r = evaluate_waymo(gt, pred);
  EXPECT_FLOAT_EQ(get(r, kVehL1).ap, 1.0f);
  EXPECT_NEAR(get(r, kVehL1).aph, 0.0f, 1e-6);
  // A square box turned by 90 degrees: same footprint (IoU 1), HA 0.5 -> APH 0.5.
  gt = {obj(WaymoType::kVehicle, 10, 0, 3, 3, 0)};
  pred = {obj(WaymoType::kVehicle, 10, 0, 3, 3, kPi / 2, 0.9f)};
  r = evaluate_waymo(gt, pred);
  EXPECT_FLOAT_EQ(get(r, kVehL1).ap, 1.0f);
  EXPECT_NEAR(get(r, kVehL1).aph, 0.5f, 1e-6);
}

TEST(WaymoEval, Level2GroundTruthIsNotAFalseNegativeAtLevel1ButStillATruePositive) {
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10, 0, 4.5, 2, 0, 1, 100, 1),
                                 obj(WaymoType::kVehicle, 10, 10, 4.5, 2, 0, 1, 100, 2)};
  // Only the LEVEL_1 object found: perfect at L1, recall 0.5 at L2.
  auto r = evaluate_waymo(gt, {obj(WaymoType::kVehicle, 10, 0, 4.5, 2, 0, 0.9f)});
  EXPECT_EQ(get(r, kVehL1).fn[0], 0);
  EXPECT_EQ(get(r, kVehL2).fn[0], 1);
  EXPECT_FLOAT_EQ(get(r, kVehL1).ap, 1.0f);
  EXPECT_FLOAT_EQ(get(r, kVehL2).ap, 0.5f);
  // Only the LEVEL_2 object found: it is a TP at L1 too (W6), and the L1 object is a FN.
  r = evaluate_waymo(gt, {obj(WaymoType::kVehicle, 10, 10, 4.5, 2, 0, 0.9f)});
  EXPECT_EQ(get(r, kVehL1).tp[0], 1);
  EXPECT_EQ(get(r, kVehL1).fp[0], 0);
  EXPECT_EQ(get(r, kVehL1).fn[0], 1);
  EXPECT_EQ(get(r, kVehL2).fn[0], 1);
}

TEST(WaymoEval, DifficultyFromPointsWhenUnsetAndEmptyBoxesDropped) {
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10, 0, 4.5, 2, 0, 1, 5, 0),    // L2
                                 obj(WaymoType::kVehicle, 10, 10, 4.5, 2, 0, 1, 6, 0),   // L1
                                 obj(WaymoType::kVehicle, 10, 20, 4.5, 2, 0, 1, 0, 0)};  // drop
  const auto r = evaluate_waymo(gt, {});
  EXPECT_EQ(r.num_gt, 2u);
  EXPECT_EQ(get(r, kVehL1).fn[0], 1);
  EXPECT_EQ(get(r, kVehL2).fn[0], 2);
  // A prediction on the dropped box is a false positive.
  const auto r2 = evaluate_waymo(gt, {obj(WaymoType::kVehicle, 10, 20, 4.5, 2, 0, 0.5f)});
  EXPECT_EQ(get(r2, kVehL2).fp[0], 1);
  EXPECT_EQ(get(r2, kVehL2).tp[0], 0);
}

TEST(WaymoEval, RangeShardsUseEachObjectsOwnCentre) {
  // GT at 30.1 m, prediction 0.2 m nearer at 29.9 m (IoU 4.3/4.7): a TP by type, but an FP in
  // [0, 30) and an FN in [30, 50) (eval.md W7). z = 1 counts in the 3D distance.
  const double gx = std::sqrt(30.1 * 30.1 - 1.0), px = gx - 0.2;
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, gx), obj(WaymoType::kVehicle, 70)};
  std::vector<WaymoObject> pred = {obj(WaymoType::kVehicle, px, 0, 4.5, 2, 0, 0.9f),
                                   obj(WaymoType::kVehicle, 70, 0, 4.5, 2, 0, 0.9f)};
  ASSERT_LT(std::hypot(px, 1.0), 30.0);
  const auto r = evaluate_waymo(gt, pred);
  EXPECT_EQ(get(r, kVehL1).tp[0], 2);
  const auto& near = get(r, "RANGE_TYPE_VEHICLE_[0, 30)_LEVEL_1");
  EXPECT_EQ(near.tp[0], 0);
  EXPECT_EQ(near.fp[0], 1);
  EXPECT_EQ(near.fn[0], 0);
  const auto& mid = get(r, "RANGE_TYPE_VEHICLE_[30, 50)_LEVEL_1");
  EXPECT_EQ(mid.tp[0], 0);
  EXPECT_EQ(mid.fp[0], 0);
  EXPECT_EQ(mid.fn[0], 1);
  const auto& far = get(r, "RANGE_TYPE_VEHICLE_[50, +inf)_LEVEL_1");
  EXPECT_EQ(far.tp[0], 1);
  EXPECT_FLOAT_EQ(far.ap, 1.0f);
}

TEST(WaymoEval, IouThresholdIsInclusive) {
  // Length 6.8, shifted by 1.2 along x: IoU = 5.6 / 8.0 = 0.7 exactly (up to rounding that the
  // float cast absorbs), which matches; 1.25 gives 0.689, which does not.
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10, 0, 6.8)};
  ASSERT_EQ(static_cast<float>(waymo_iou_3d(gt[0].box, obj(WaymoType::kVehicle, 11.2, 0, 6.8).box)),
            0.7f);
  auto r = evaluate_waymo(gt, {obj(WaymoType::kVehicle, 11.2, 0, 6.8, 2, 0, 0.9f)});
  EXPECT_EQ(get(r, kVehL1).tp[0], 1);
  r = evaluate_waymo(gt, {obj(WaymoType::kVehicle, 11.25, 0, 6.8, 2, 0, 0.9f)});
  EXPECT_EQ(get(r, kVehL1).tp[0], 0);
  EXPECT_EQ(get(r, kVehL1).fp[0], 1);
}

TEST(WaymoEval, ScoreCutoffsBuildTheCurve) {
  // Two GT; a TP at score 0.9 and an FP at 0.95 (far away): precision 0.5 at recall 0.5.
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10), obj(WaymoType::kVehicle, 10, 10)};
  std::vector<WaymoObject> pred = {obj(WaymoType::kVehicle, 10, 0, 4.5, 2, 0, 0.9f),
                                   obj(WaymoType::kVehicle, 10, -20, 4.5, 2, 0, 0.95f)};
  const auto r = evaluate_waymo(gt, pred);
  const auto& b = get(r, kVehL1);
  EXPECT_EQ(b.tp[90], 1);  // score >= 0.9 (0.9f compared with 0.9f)
  EXPECT_EQ(b.fp[90], 1);
  EXPECT_EQ(b.tp[91], 0);
  EXPECT_EQ(b.fp[91], 1);
  EXPECT_FLOAT_EQ(b.precision[100], 1.0f);  // recall 0 forces precision 1
  // Envelope: P=0.5 up to R=0.5 -> area 0.25.
  EXPECT_NEAR(b.ap, 0.25f, 1e-6);
}

namespace {
// Random frames with noisy copies of the GT as predictions, some misses and some false alarms.
void random_scene(std::vector<WaymoObject>& gt, std::vector<WaymoObject>& pred) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_real_distribution<float> s(0, 1);
  for (int f = 0; f < 30; ++f)
    for (int i = 0; i < 25; ++i) {
      const auto type = static_cast<WaymoType>(1 + i % 4);
      const double size = type == WaymoType::kVehicle ? 4.5 : 1.0;
      auto g = obj(type, 70 * u(rng), 70 * u(rng), size, size * 0.5, 3 * u(rng), 1,
                   static_cast<int>(rng() % 20), static_cast<int>(rng() % 3),
                   "ctx" + std::to_string(f % 4), f);
      gt.push_back(g);
      if (i % 5 == 4) continue;  // missed
      auto p = g;
      p.box.x += 0.2 * u(rng), p.box.y += 0.2 * u(rng), p.box.yaw += 0.5 * u(rng);
      p.score = s(rng);
      pred.push_back(p);
      if (i % 3 == 0) {  // duplicate and a false alarm
        p.box.x += 0.15 * u(rng);
        p.score = s(rng);
        pred.push_back(p);
        p.box.x += 30;
        pred.push_back(p);
      }
    }
}

void expect_same(const WaymoEvalResult& a, const WaymoEvalResult& b, bool bitwise) {
  ASSERT_EQ(a.breakdowns.size(), b.breakdowns.size());
  for (std::size_t i = 0; i < a.breakdowns.size(); ++i) {
    const auto &x = a.breakdowns[i], &y = b.breakdowns[i];
    EXPECT_EQ(x.tp, y.tp) << x.name;
    EXPECT_EQ(x.fp, y.fp) << x.name;
    EXPECT_EQ(x.fn, y.fn) << x.name;
    EXPECT_EQ(x.ap, y.ap) << x.name;
    if (bitwise)
      EXPECT_EQ(x.aph, y.aph) << x.name;
    else
      EXPECT_NEAR(x.aph, y.aph, 1e-5) << x.name;
  }
}
}  // namespace

TEST(WaymoEval, OrderOfFramesAndThreadsChangeNothing) {
  std::vector<WaymoObject> gt, pred;
  random_scene(gt, pred);
  const auto base = evaluate_waymo(gt, pred);
  // A non-trivial curve: some matches, some misses and false alarms.
  EXPECT_GT(get(base, kVehL2).ap, 0.1f);
  EXPECT_LT(get(base, kVehL2).ap, 0.9f);
  EXPECT_GT(get(base, "OBJECT_TYPE_TYPE_PEDESTRIAN_LEVEL_1").tp[0], 50);
  // Frames in another order (objects of one frame keep their relative order): bit-identical.
  auto by_frame = [](const WaymoObject& a, const WaymoObject& b) {
    return std::tie(b.frame_timestamp_micros, b.context_name) <
           std::tie(a.frame_timestamp_micros, a.context_name);
  };
  auto gt2 = gt, pred2 = pred;
  std::stable_sort(gt2.begin(), gt2.end(), by_frame);
  std::stable_sort(pred2.begin(), pred2.end(), by_frame);
  WaymoEvalOptions three;
  three.threads = 3;
  expect_same(base, evaluate_waymo(gt2, pred2, three), true);
  // Boxes shuffled within frames: same counts and AP; APH is a float sum whose order follows
  // the input, so it may differ in the last bits only.
  std::mt19937 rng(3);
  std::shuffle(gt2.begin(), gt2.end(), rng);
  std::shuffle(pred2.begin(), pred2.end(), rng);
  expect_same(base, evaluate_waymo(gt2, pred2), false);
}

TEST(WaymoEval, ComponentMatchingAgreesWithTheWholeMatrixProcedure) {
  std::vector<WaymoObject> gt, pred;
  random_scene(gt, pred);
  // Crowd the scene so that components with several candidates per row and column are common:
  // every prediction gets a near twin, and pedestrians overlap their neighbours.
  const std::size_t n = pred.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto p = pred[i];
    p.box.x += 0.1;
    p.score *= 0.9f;
    pred.push_back(p);
  }
  const auto fast = evaluate_waymo(gt, pred);
  WaymoEvalOptions whole;
  whole.whole_matrix_matching = true;
  expect_same(fast, evaluate_waymo(gt, pred, whole), false);
}

TEST(WaymoEval, BadInputIsAnErrorNamingFileAndRecord) {
  std::vector<WaymoObject> gt = {obj(WaymoType::kVehicle, 10)};
  auto nan = gt;
  nan[0].box.yaw = std::nan("");
  try {
    check_waymo_objects(nan, "pred.bin");
    FAIL() << "NaN accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pred.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("object 0"), std::string::npos) << e.what();
  }
  auto neg = gt;
  neg[0].box.w = -1;
  EXPECT_THROW(check_waymo_objects(neg, "gt.bin"), Error);
  EXPECT_NO_THROW(check_waymo_objects(gt, "gt.bin"));
  auto other = gt;
  other[0].frame_timestamp_micros = 99;
  try {
    check_waymo_frames(gt, other, "pred.bin");
    FAIL() << "prediction for an unknown frame accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(ctx, 99)"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(check_waymo_frames(gt, gt, "pred.bin"));
  // A truncated Objects protobuf.
  const std::string bytes = waymo::encode_objects(gt);
  EXPECT_THROW(waymo::decode_objects(bytes.substr(0, bytes.size() - 3), "t.bin"), Error);
}
