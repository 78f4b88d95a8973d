// From per-threshold TP/FP/FN counts to the KITTI precision/recall curves and R11/R40 APs
// (eval.md §A7). Shared by the fast evaluator and the straightforward reference path, so that
// both differ only in how they match.
#pragma once
#include <vector>

#include "eval/kitti_eval.hpp"

namespace lidardet::eval {

// Sums over all frames, one entry per score threshold (in threshold order).
struct KittiCounts {
  std::vector<long> tp, fp, fn;
  std::vector<double> similarity;  // AOS: summed in frame order

  void reset(std::size_t num_thresholds) {
    tp.assign(num_thresholds, 0);
    fp.assign(num_thresholds, 0);
    fn.assign(num_thresholds, 0);
    similarity.assign(num_thresholds, 0.0);
  }
};

// Fills cr.curves / ap_r11 / ap_r40 for (set, metric, difficulty), and AOS (metric slot 3) when
// the metric is the image one.
void store_kitti_curves(KittiClassResult& cr, int set, int metric, int diff, bool aos,
                        const KittiCounts& counts);

}  // namespace lidardet::eval
