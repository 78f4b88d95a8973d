// The KITTI object benchmark as OpenPCDet's python evaluator computes it (eval.md Part A):
// 2D, BEV, 3D and AOS; Easy/Moderate/Hard with the ignore rules; two overlap sets; the
// 41-threshold precision curve; R11 and R40.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "io/kitti_label.hpp"

namespace lidardet::eval {

enum KittiMetric { kImage = 0, kBev = 1, k3d = 2 };

struct KittiEvalFrame {
  std::string id;
  std::vector<KittiObject> gt;   // every label_2 row, DontCare included
  std::vector<KittiObject> det;  // detections with scores
};

struct KittiEvalOptions {
  std::vector<std::string> classes = {"Car", "Pedestrian", "Cyclist"};
};

// One (class, overlap set) evaluation: curves and APs per metric and difficulty.
struct KittiCurve {
  std::array<double, 41> precision{};  // max-filtered, as averaged into AP
  std::array<double, 41> recall{};
  int num_thresholds = 0;
};

struct KittiClassResult {
  std::string cls;
  std::array<std::array<double, 3>, 2> min_overlap{};  // [set][metric]
  // [set][metric][difficulty]; metric 3 is AOS (image boxes).
  std::array<std::array<std::array<double, 3>, 4>, 2> ap_r11{}, ap_r40{};
  std::array<std::array<std::array<KittiCurve, 3>, 4>, 2> curves{};
  std::array<int, 3> num_gt{};  // valid ground truths per difficulty
};

struct KittiEvalResult {
  bool aos = false;  // AOS computed (detections carry a valid alpha)
  std::vector<KittiClassResult> classes;
};

KittiEvalResult evaluate_kitti(const std::vector<KittiEvalFrame>& frames,
                               const KittiEvalOptions& options = {});

// The text OpenPCDet's get_official_eval_result prints.
std::string format_kitti_result(const KittiEvalResult& r);

// OpenPCDet reports AOS when the first frame with detections has a valid alpha (not -10).
bool kitti_aos_enabled(const std::vector<KittiEvalFrame>& frames);

// The overlap thresholds [set][metric] OpenPCDet uses for a class (strict set 0, loose set 1).
std::array<std::array<double, 3>, 2> kitti_min_overlaps(const std::string& cls);

// Score thresholds from the true-positive scores (eval.md §A6). Exposed for tests.
std::vector<double> kitti_score_thresholds(std::vector<double> tp_scores, int num_gt);

}  // namespace lidardet::eval
