#include "eval/kitti_match.hpp"

#include <cmath>

namespace lidardet::eval::detail {

void KittiMatcher::reset(double min_overlap, bool dontcare_absorbs, bool aos) {
  thr_ = min_overlap;
  dontcare_ = dontcare_absorbs;
  aos_ = aos;
  frames_.clear();
  comps_.clear();
  entry_gt_.clear();
  entry_cand_.assign(1, 0);
  cand_det_.clear();
  cand_overlap_.clear();
  cand_term_.clear();
  comp_dets_.clear();
  linked_gts_.clear();
}

int KittiMatcher::find(int d) {
  while (parent_[d] != d) d = parent_[d] = parent_[parent_[d]];
  return d;
}

void KittiMatcher::add_frame(const KittiFrameView& v) {
  const auto& f = *v.frame;
  const int nd = static_cast<int>(f.det.size()), ng = static_cast<int>(f.gt.size());
  FrameGraph g{v, static_cast<std::uint32_t>(comps_.size()), 0,
               static_cast<std::uint32_t>(linked_gts_.size()), 0};
  parent_.resize(nd);
  for (int d = 0; d < nd; ++d) parent_[d] = d;
  gt_first_.assign(ng, -1);
  det_comp_.assign(nd, -1);
  // Edges: GT and detection both take part (state != -1) and overlap above the threshold.
  // Detections sharing a GT are joined, so a component is a set of GTs and their detections.
  for (std::size_t p = 0; p < v.num_pairs; ++p) {
    const KittiPair& e = v.pairs[p];
    if (!(e.overlap > thr_) || v.gt_state[e.gt] == -1 || v.det_state[e.det] == -1) continue;
    int& first = gt_first_[e.gt];
    if (first < 0) {
      first = static_cast<int>(e.det);
    } else {
      const int a = find(first), b = find(static_cast<int>(e.det));
      if (a != b) parent_[b] = a;
    }
    det_comp_[e.det] = 0;  // linked; the component id comes below
  }
  // Component ids in order of their first GT; GTs and detections listed per component in file
  // order (counting sort, stable).
  comp_of_root_.assign(nd, -1);
  int num_comps = 0;
  for (int i = 0; i < ng; ++i)
    if (gt_first_[i] >= 0) {
      const int r = find(gt_first_[i]);
      if (comp_of_root_[r] < 0) comp_of_root_[r] = num_comps++;
      linked_gts_.push_back(static_cast<std::uint32_t>(i));
    }
  g.linked_end = static_cast<std::uint32_t>(linked_gts_.size());
  for (int d = 0; d < nd; ++d)
    if (det_comp_[d] == 0) det_comp_[d] = comp_of_root_[find(d)];
  std::vector<std::uint32_t>& gt_order = gt_order_;
  std::vector<int>& gt_count = gt_count_;
  std::vector<int>& det_count = det_count_;
  gt_count.assign(num_comps + 1, 0);
  det_count.assign(num_comps + 1, 0);
  for (int i = 0; i < ng; ++i)
    if (gt_first_[i] >= 0) ++gt_count[comp_of_root_[find(gt_first_[i])] + 1];
  for (int d = 0; d < nd; ++d)
    if (det_comp_[d] >= 0) ++det_count[det_comp_[d] + 1];
  for (int c = 0; c < num_comps; ++c) {
    gt_count[c + 1] += gt_count[c];
    det_count[c + 1] += det_count[c];
  }
  gt_order.resize(gt_count[num_comps]);
  const std::size_t det_base = comp_dets_.size();
  comp_dets_.resize(det_base + det_count[num_comps]);
  std::vector<int>& gt_pos = gt_pos_;
  std::vector<int>& det_pos = det_pos_;
  gt_pos.assign(gt_count.begin(), gt_count.end() - 1);
  det_pos.assign(det_count.begin(), det_count.end() - 1);
  for (int i = 0; i < ng; ++i)
    if (gt_first_[i] >= 0)
      gt_order[gt_pos[comp_of_root_[find(gt_first_[i])]]++] = static_cast<std::uint32_t>(i);
  for (int d = 0; d < nd; ++d)
    if (det_comp_[d] >= 0)
      comp_dets_[det_base + det_pos[det_comp_[d]]++] = static_cast<std::uint32_t>(d);
  // Pair ranges per GT (pairs are sorted by GT).
  std::vector<std::uint32_t>& pair_begin = pair_begin_;
  pair_begin.assign(ng + 1, 0);
  for (std::size_t p = 0; p < v.num_pairs; ++p) ++pair_begin[v.pairs[p].gt + 1];
  for (int i = 0; i < ng; ++i) pair_begin[i + 1] += pair_begin[i];
  for (int c = 0; c < num_comps; ++c) {
    Component comp{static_cast<std::uint32_t>(entry_gt_.size()), 0,
                   static_cast<std::uint32_t>(det_base + det_count[c]),
                   static_cast<std::uint32_t>(det_base + det_count[c + 1])};
    for (int k = gt_count[c]; k < gt_count[c + 1]; ++k) {
      const std::uint32_t i = gt_order[k];
      entry_gt_.push_back(i);
      for (std::uint32_t p = pair_begin[i]; p < pair_begin[i + 1]; ++p) {
        const KittiPair& e = v.pairs[p];
        if (!(e.overlap > thr_) || v.det_state[e.det] == -1) continue;
        cand_det_.push_back(e.det);
        cand_overlap_.push_back(e.overlap);
        cand_term_.push_back(e.aos_term);
      }
      entry_cand_.push_back(static_cast<std::uint32_t>(cand_det_.size()));
    }
    comp.entry_end = static_cast<std::uint32_t>(entry_gt_.size());
    comps_.push_back(comp);
  }
  g.comp_end = static_cast<std::uint32_t>(comps_.size());
  frames_.push_back(g);
}

void KittiMatcher::collect_tp_scores(std::size_t k, std::vector<double>& tp_scores) {
  const FrameGraph& g = frames_[k];
  const KittiEvalFrame& f = *g.view.frame;
  assigned_.assign(f.det.size(), 0);
  for (std::uint32_t c = g.comp_begin; c < g.comp_end; ++c)
    for (std::uint32_t e = comps_[c].entry_begin; e < comps_[c].entry_end; ++e) {
      // The highest score wins, the first on ties; every candidate is above the overlap threshold.
      int picked = -1;
      double best = -10000000.0;
      for (std::uint32_t q = entry_cand_[e]; q < entry_cand_[e + 1]; ++q) {
        const std::uint32_t j = cand_det_[q];
        if (!assigned_[j] && g.view.score[j] > best)
          picked = static_cast<int>(j), best = g.view.score[j];
      }
      if (picked < 0) continue;
      assigned_[picked] = 1;
      if (g.view.gt_state[entry_gt_[e]] == 0 && g.view.det_state[picked] == 0)
        tp_scores.push_back(best);
    }
}

KittiMatcher::Stats KittiMatcher::match_component(const FrameGraph& g, const Component& c) {
  const std::int8_t* gs = g.view.gt_state;
  const std::int8_t* ds = g.view.det_state;
  for (std::uint32_t k = c.det_begin; k < c.det_end; ++k) assigned_[comp_dets_[k]] = 0;
  Stats st;
  for (std::uint32_t e = c.entry_begin; e < c.entry_end; ++e) {
    const std::uint32_t i = entry_gt_[e];
    int picked = -1;
    std::uint32_t picked_q = 0;
    double best_iou = 0;
    bool picked_is_ignored = false;
    for (std::uint32_t q = entry_cand_[e]; q < entry_cand_[e + 1]; ++q) {
      const std::uint32_t j = cand_det_[q];
      if (!admitted_[j] || assigned_[j]) continue;
      if (ds[j] == 0 && (cand_overlap_[q] > best_iou || picked_is_ignored)) {
        picked = static_cast<int>(j), picked_q = q, best_iou = cand_overlap_[q];
        picked_is_ignored = false;
      } else if (picked < 0 && ds[j] == 1) {
        picked = static_cast<int>(j), picked_q = q;
        picked_is_ignored = true;
      }
    }
    gt_term_[i] = 0.0;
    if (picked < 0) {
      if (gs[i] == 0) ++st.fn;
      continue;
    }
    assigned_[picked] = 1;
    if (gs[i] == 1 || ds[picked] == 1) continue;
    ++st.tp;
    gt_term_[i] = cand_term_[picked_q];
  }
  for (std::uint32_t k = c.det_begin; k < c.det_end; ++k) {
    const std::uint32_t j = comp_dets_[k];
    if (admitted_[j] && !assigned_[j] && ds[j] == 0 && !(dontcare_ && g.view.dontcare[j] > thr_))
      ++st.fp;
  }
  return st;
}

void KittiMatcher::count(std::size_t k, const std::vector<double>& thresholds,
                         KittiCounts& counts) {
  const FrameGraph& g = frames_[k];
  const KittiEvalFrame& f = *g.view.frame;
  const std::size_t nd = f.det.size();
  const std::int8_t* ds = g.view.det_state;
  admitted_.assign(nd, 0);
  assigned_.resize(nd);
  gt_term_.assign(f.gt.size(), 0.0);
  det_comp_.assign(nd, -1);
  const std::uint32_t num_comps = g.comp_end - g.comp_begin;
  for (std::uint32_t c = 0; c < num_comps; ++c) {
    const Component& comp = comps_[g.comp_begin + c];
    for (std::uint32_t q = comp.det_begin; q < comp.det_end; ++q)
      det_comp_[comp_dets_[q]] = static_cast<int>(c);
  }
  comp_stats_.assign(num_comps, Stats{});
  dirty_.assign(num_comps, 0);
  // Nothing admitted yet: every valid GT is a miss.
  Stats total;
  total.fn = g.view.num_valid_gt;
  for (std::uint32_t c = 0; c < num_comps; ++c) {
    const Component& comp = comps_[g.comp_begin + c];
    for (std::uint32_t e = comp.entry_begin; e < comp.entry_end; ++e)
      comp_stats_[c].fn += g.view.gt_state[entry_gt_[e]] == 0;
  }
  double similarity = 0;
  std::size_t next = 0;
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    dirty_list_.clear();
    for (; next < nd && g.view.sorted_score[next] >= thresholds[t]; ++next) {
      const std::uint32_t j = g.view.by_score[next];
      if (ds[j] == -1) continue;
      admitted_[j] = 1;
      const int c = det_comp_[j];
      if (c < 0) {
        // Matches nothing: a false positive unless ignored or inside a DontCare region.
        if (ds[j] == 0 && !(dontcare_ && g.view.dontcare[j] > thr_)) ++total.fp;
      } else if (!dirty_[c]) {
        dirty_[c] = 1;
        dirty_list_.push_back(static_cast<std::uint32_t>(c));
      }
    }
    for (std::uint32_t c : dirty_list_) {
      dirty_[c] = 0;
      const Stats before = comp_stats_[c];
      const Stats after = match_component(g, comps_[g.comp_begin + c]);
      total.tp += after.tp - before.tp;
      total.fp += after.fp - before.fp;
      total.fn += after.fn - before.fn;
      comp_stats_[c] = after;
    }
    if (aos_ && !dirty_list_.empty()) {
      // Summed over GTs in file order like the reference (non-TP terms are +0.0: no effect).
      similarity = 0;
      for (std::uint32_t q = g.linked_begin; q < g.linked_end; ++q)
        similarity += gt_term_[linked_gts_[q]];
    }
    counts.tp[t] += total.tp;
    counts.fp[t] += total.fp;
    counts.fn[t] += total.fn;
    if (aos_ && (total.tp > 0 || total.fp > 0)) counts.similarity[t] += similarity;
  }
}

}  // namespace lidardet::eval::detail
