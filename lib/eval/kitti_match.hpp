// KITTI per-frame matching (eval.md §A5) split into independent components. A ground truth can
// only take a detection that overlaps it above the threshold, and the greedy passes interact
// only through detections already assigned, so the connected components of the "can match"
// graph (usually one ground truth with its one or two detections) are matched independently,
// each in file order: exactly the reference's result. Lowering the score threshold admits one
// detection at a time, and only that detection's component has to be matched again.
#pragma once
#include <cstdint>
#include <vector>

#include "eval/kitti_eval.hpp"
#include "eval/kitti_pr.hpp"

namespace lidardet::eval::detail {

// One overlap above the lowest threshold in use, stored sparsely per frame.
struct KittiPair {
  std::uint32_t gt, det;
  double overlap;
  double aos_term;  // (1 + cos(alpha_gt - alpha_det)) / 2, image pairs only (§A5.3)
};

// Everything one frame contributes for one (class, difficulty, metric, overlap threshold).
struct KittiFrameView {
  const KittiEvalFrame* frame;
  const KittiPair* pairs;  // sorted by (gt, det)
  std::size_t num_pairs;
  const std::int8_t* gt_state;    // §A2.1, per GT row
  const std::int8_t* det_state;   // §A2.2, per detection
  const double* score;            // per detection (flat copies: the objects are cache-cold)
  const std::uint32_t* by_score;  // detection indices, score descending
  const double* sorted_score;     // their scores
  const double* dontcare;         // per detection: max overlap with a DontCare region, or -1
  int num_valid_gt;
};

class KittiMatcher {
 public:
  // Starts a new (class, difficulty, metric, threshold) configuration.
  void reset(double min_overlap, bool dontcare_absorbs, bool aos);
  // Builds frame `v`'s components; frames are then addressed by the order of add_frame calls.
  void add_frame(const KittiFrameView& v);
  // §A5.1 for frame k: appends its TP scores.
  void collect_tp_scores(std::size_t k, std::vector<double>& tp_scores);
  // §A5.2 for frame k at every threshold (descending), added into `counts` in threshold order.
  void count(std::size_t k, const std::vector<double>& thresholds, KittiCounts& counts);

 private:
  struct Component {
    std::uint32_t entry_begin, entry_end, det_begin, det_end;
  };
  struct FrameGraph {
    KittiFrameView view;
    std::uint32_t comp_begin, comp_end, linked_begin, linked_end;
  };
  struct Stats {
    long tp = 0, fp = 0, fn = 0;
  };
  Stats match_component(const FrameGraph& g, const Component& c);
  int find(int d);

  double thr_ = 0;
  bool dontcare_ = false, aos_ = false;
  std::vector<FrameGraph> frames_;
  std::vector<Component> comps_;
  // Per component entry (a ground truth, in file order within its component).
  std::vector<std::uint32_t> entry_gt_, entry_cand_;  // entry_cand_: begin, with a sentinel end
  std::vector<std::uint32_t> cand_det_;
  std::vector<double> cand_overlap_, cand_term_;
  std::vector<std::uint32_t> comp_dets_;
  std::vector<std::uint32_t> linked_gts_;  // per frame, ascending: the only possible TPs
  // Per-frame scratch, sized to the frame.
  std::vector<int> parent_, comp_of_root_, det_comp_, gt_first_;
  std::vector<char> admitted_, assigned_, dirty_;
  std::vector<double> gt_term_;
  std::vector<Stats> comp_stats_;
  std::vector<std::uint32_t> dirty_list_, gt_order_, pair_begin_;
  std::vector<int> gt_count_, det_count_, gt_pos_, det_pos_;
};

}  // namespace lidardet::eval::detail
