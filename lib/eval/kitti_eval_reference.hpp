// A deliberately plain KITTI evaluator: eval.md §A5 transcribed loop for loop (dense overlap
// matrices, every detection scanned for every ground truth at every score threshold). Far too
// slow for a data set, it is the yardstick the fast evaluate_kitti is compared against, bit for
// bit, in tests and benchmarks.
#pragma once
#include "eval/kitti_eval.hpp"

namespace lidardet::eval {

KittiEvalResult evaluate_kitti_reference(const std::vector<KittiEvalFrame>& frames,
                                         const KittiEvalOptions& options = {});

}  // namespace lidardet::eval
