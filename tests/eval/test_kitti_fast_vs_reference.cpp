// The fast evaluate_kitti (sparse overlaps, component matching, incremental thresholds) against
// evaluate_kitti_reference, eval.md §A5 transcribed loop for loop: every AP and every curve
// point must be identical, bit for bit, on random frames that exercise every rule at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "eval/kitti_eval.hpp"
#include "eval/kitti_eval_reference.hpp"

using namespace lidardet;
using namespace lidardet::eval;

namespace {
// Crowded frames: every class and its neighbours, DontCare regions, occluded/truncated/small
// GTs, noisy and duplicate detections (some of the wrong class or too small), false alarms,
// and tied scores, so that components with several GTs and detections occur.
std::vector<KittiEvalFrame> random_frames(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const char* types[] = {"Car",     "Car",   "Van",       "Pedestrian", "Person_sitting",
                         "Cyclist", "Truck", "Pedestrian"};
  const char* det_types[] = {"Car", "Pedestrian", "Cyclist"};
  std::vector<KittiEvalFrame> frames(n);
  for (int f = 0; f < n; ++f) {
    auto& fr = frames[f];
    fr.id = std::to_string(f);
    const int ng = 4 + static_cast<int>(rng() % 9);
    for (int i = 0; i < ng; ++i) {
      KittiObject g;
      g.type = types[rng() % 8];
      const bool small =
          g.type == "Pedestrian" || g.type == "Person_sitting" || g.type == "Cyclist";
      g.h = small ? 1.7 : 1.5, g.w = small ? 0.6 : 1.6, g.l = small ? 0.9 : 3.9;
      // A narrow strip so that objects often overlap each other.
      g.x = -4 + 8 * u(rng), g.y = 1.7, g.z = 8 + 30 * u(rng);
      g.ry = -3 + 6 * u(rng);
      g.alpha = g.ry - std::atan2(g.x, g.z);
      const double left = 600 + 700 * g.x / g.z, hpx = 900 * g.h / g.z;
      g.bbox = {left - hpx * 0.5, 180 - hpx * 0.5, left + hpx * 0.5, 180 + hpx * 0.5};
      g.occluded = static_cast<int>(rng() % 3);
      g.truncated = 0.6 * u(rng);
      fr.gt.push_back(g);
      const int copies = static_cast<int>(rng() % 3);
      for (int k = 0; k < copies; ++k) {
        KittiObject d = g;
        d.truncated = -1, d.occluded = -1;
        if (rng() % 6 == 0) d.type = det_types[rng() % 3];
        if (d.type == "Van" || d.type == "Truck") d.type = "Car";
        if (d.type == "Person_sitting") d.type = "Pedestrian";
        d.x += 0.4 * (u(rng) - 0.5), d.z += 0.6 * (u(rng) - 0.5), d.y += 0.2 * (u(rng) - 0.5);
        d.ry += 0.4 * (u(rng) - 0.5);
        d.alpha += 0.5 * (u(rng) - 0.5);
        for (auto& b : d.bbox) b += 8 * (u(rng) - 0.5);
        d.score = std::round(u(rng) * 20) / 20;  // coarse: many tied scores
        d.has_score = true;
        fr.det.push_back(d);
      }
    }
    if (rng() % 3 == 0) {  // a DontCare region with a detection inside it
      KittiObject dc;
      dc.type = "DontCare";
      dc.bbox = {900, 150, 1000, 260};
      dc.x = dc.y = dc.z = -1000, dc.h = dc.w = dc.l = -1, dc.ry = dc.alpha = -10;
      fr.gt.push_back(dc);
      KittiObject d = fr.gt.front();
      d.type = det_types[rng() % 3];
      d.bbox = {910, 160, 990, 160 + 20 + 60 * u(rng)};
      d.x += 30, d.score = u(rng), d.has_score = true;
      fr.det.push_back(d);
    }
    for (int k = 0; k < 3; ++k) {  // false alarms, some too small to count
      KittiObject d = fr.gt[rng() % fr.gt.size()];
      if (d.type == "DontCare") continue;
      d.type = det_types[rng() % 3];
      d.x += 3 + 4 * u(rng);
      d.bbox[3] = d.bbox[1] + 15 + 50 * u(rng);
      d.score = u(rng), d.has_score = true;
      fr.det.push_back(d);
    }
    std::shuffle(fr.det.begin(), fr.det.end(), rng);
  }
  return frames;
}

void expect_identical(const KittiEvalResult& a, const KittiEvalResult& b) {
  ASSERT_EQ(a.aos, b.aos);
  ASSERT_EQ(a.classes.size(), b.classes.size());
  for (std::size_t c = 0; c < a.classes.size(); ++c) {
    const auto& x = a.classes[c];
    const auto& y = b.classes[c];
    EXPECT_EQ(x.num_gt, y.num_gt) << x.cls;
    for (int set = 0; set < 2; ++set)
      for (int m = 0; m < 4; ++m)
        for (int d = 0; d < 3; ++d) {
          const std::string where = x.cls + " set " + std::to_string(set) + " metric " +
                                    std::to_string(m) + " difficulty " + std::to_string(d);
          EXPECT_EQ(x.ap_r11[set][m][d], y.ap_r11[set][m][d]) << where;
          EXPECT_EQ(x.ap_r40[set][m][d], y.ap_r40[set][m][d]) << where;
          const auto& cx = x.curves[set][m][d];
          const auto& cy = y.curves[set][m][d];
          EXPECT_EQ(cx.num_thresholds, cy.num_thresholds) << where;
          EXPECT_EQ(cx.precision, cy.precision) << where;
          EXPECT_EQ(cx.recall, cy.recall) << where;
        }
  }
}
}  // namespace

TEST(KittiFastVsReference, RandomCrowdedFramesGiveIdenticalResults) {
  const auto frames = random_frames(60, 11);
  const auto fast = evaluate_kitti(frames);
  expect_identical(fast, evaluate_kitti_reference(frames));
  // The data must exercise the rules, not only agree on zeros.
  ASSERT_TRUE(fast.aos);
  EXPECT_GT(fast.classes[0].ap_r40[0][2][2], 1.0);  // Car 3D Hard
  EXPECT_LT(fast.classes[0].ap_r40[0][2][2], 99.0);
  EXPECT_GT(fast.classes[1].ap_r40[1][1][1], 1.0);  // Pedestrian BEV Moderate, loose set
  EXPECT_GT(fast.classes[2].num_gt[2], 0);
  EXPECT_GT(fast.classes[0].curves[0][0][1].num_thresholds, 5);
}

TEST(KittiFastVsReference, ShuffledFramesAndBoxesStillAgreeBitForBit) {
  auto frames = random_frames(40, 12);
  std::mt19937 rng(5);
  std::shuffle(frames.begin(), frames.end(), rng);
  for (auto& f : frames) {
    std::shuffle(f.gt.begin(), f.gt.end(), rng);
    std::shuffle(f.det.begin(), f.det.end(), rng);
  }
  expect_identical(evaluate_kitti(frames), evaluate_kitti_reference(frames));
}

TEST(KittiFastVsReference, ClassListVariantsAgree) {
  const auto frames = random_frames(30, 13);
  KittiEvalOptions opt;
  opt.classes = {"cyclist", "Van", "Person_sitting", "Truck"};  // other order, other classes
  expect_identical(evaluate_kitti(frames, opt), evaluate_kitti_reference(frames, opt));
  opt.classes = {};
  EXPECT_TRUE(evaluate_kitti(frames, opt).classes.empty());
}

TEST(KittiFastVsReference, NanScoreIsRejectedNamingFrameAndDetection) {
  auto frames = random_frames(3, 14);
  frames[1].det[0].score = std::nan("");
  try {
    evaluate_kitti(frames);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("frame '1', detection 1"), std::string::npos) << e.what();
  }
}
