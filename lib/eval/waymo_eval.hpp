// The Waymo Open Dataset 3D detection metrics (eval.md Part B): AP and APH per breakdown
// (OBJECT_TYPE and RANGE shards x LEVEL_1/LEVEL_2), Hungarian matching per frame and score
// cutoff, frames keyed by (context_name, frame_timestamp_micros).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "io/waymo/objects.hpp"

namespace lidardet::eval {

inline constexpr int kWaymoNumCutoffs = 101;

enum class WaymoBreakdown { kObjectType, kRange };

struct WaymoEvalOptions {
  int threads = 1;  // frames are evaluated in parallel; the merge is in frame order regardless
  std::vector<WaymoBreakdown> breakdowns = {WaymoBreakdown::kObjectType, WaymoBreakdown::kRange};
  // Solve each (frame, shard, cutoff) as one n x n problem exactly as the official code does,
  // instead of per connected component of the can-match graph (same optimum, much slower;
  // differs only in which prediction wins an exact tie). A reference for tests.
  bool whole_matrix_matching = false;
};

// One breakdown row, e.g. OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2.
struct WaymoBreakdownResult {
  std::string name;
  std::string generator;  // "OBJECT_TYPE" or "RANGE"
  std::string shard;      // "TYPE_VEHICLE", "TYPE_VEHICLE_[0, 30)", ...
  int level = 1;          // 1 or 2
  float ap = 0, aph = 0;  // 0..1
  std::array<float, kWaymoNumCutoffs> cutoff{}, precision{}, precision_ha{}, recall{};
  std::array<std::int64_t, kWaymoNumCutoffs> tp{}, fp{}, fn{};
};

struct WaymoEvalResult {
  std::vector<WaymoBreakdownResult> breakdowns;  // generator, shard, level order
  std::size_t num_frames = 0;
  std::size_t num_gt = 0;  // after ground-truth preparation (eval.md §B1.2)
  std::size_t num_pred = 0;
  // Mean of OBJECT_TYPE LEVEL_2 APH over Vehicle, Pedestrian, Cyclist (0..1): "mAPH L2".
  float maph_l2 = 0;
  const WaymoBreakdownResult* find(const std::string& name) const;
};

// The 101 score cutoffs: i * 0.01 (double, stored as float) for i < 100, then 1.0.
std::array<float, kWaymoNumCutoffs> waymo_score_cutoffs();

// Throws lidardet::Error naming `origin` and the object index when a box has a non-finite
// value or a negative dimension, or a score is not finite.
void check_waymo_objects(const std::vector<waymo::WaymoObject>& objects, const std::string& origin);
// Throws when a prediction names a frame (context, timestamp) that has no ground truth object.
// Frames are known to the ground truth only through its objects, so this is the best available
// check for predictions against the wrong GT file.
void check_waymo_frames(const std::vector<waymo::WaymoObject>& gt,
                        const std::vector<waymo::WaymoObject>& pred,
                        const std::string& pred_origin);

WaymoEvalResult evaluate_waymo(const std::vector<waymo::WaymoObject>& gt,
                               const std::vector<waymo::WaymoObject>& pred,
                               const WaymoEvalOptions& options = {});

// The official binary's lines, `NAME: [mAP x] [mAPH y]` (std::cout default formatting), one per
// breakdown, then the mAPH L2 summary (x100).
std::string format_waymo_result(const WaymoEvalResult& r);

}  // namespace lidardet::eval
