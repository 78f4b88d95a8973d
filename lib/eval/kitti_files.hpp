// Loading a KITTI evaluation from folders of label_2-format files.
#pragma once
#include <string>
#include <vector>

#include "eval/kitti_eval.hpp"

namespace lidardet::eval {

// gt_dir: a label_2 folder or a KITTI object root (its training/label_2 is used).
// pred_dir: label_2-format result files, every line with a score.
// split_file: ids to evaluate; empty = every prediction file.
// Throws lidardet::Error naming the file (and line) for a prediction without ground truth,
// a missing prediction file of a split frame, a malformed line, a line without a score, a NaN
// or a negative dimension.
std::vector<KittiEvalFrame> load_kitti_eval_frames(const std::string& gt_dir,
                                                   const std::string& pred_dir,
                                                   const std::string& split_file = {});

}  // namespace lidardet::eval
