#include "eval/kitti_eval_reference.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "eval/kitti_iou.hpp"
#include "eval/kitti_pr.hpp"

namespace lidardet::eval {

namespace {
constexpr double kMinHeight[3] = {40, 25, 25};
constexpr int kMaxOcclusion[3] = {0, 1, 2};
constexpr double kMaxTruncation[3] = {0.15, 0.30, 0.50};

bool same_name(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// §A2.1: 0 valid, 1 ignored, -1 other.
int gt_state(const KittiObject& g, const std::string& cls, int diff) {
  int class_state = -1;
  if (same_name(g.type, cls))
    class_state = 1;
  else if ((same_name(cls, "Pedestrian") && same_name(g.type, "Person_sitting")) ||
           (same_name(cls, "Car") && same_name(g.type, "Van")))
    class_state = 0;
  const bool too_hard = g.occluded > kMaxOcclusion[diff] || g.truncated > kMaxTruncation[diff] ||
                        g.bbox[3] - g.bbox[1] <= kMinHeight[diff];
  if (class_state == 1 && !too_hard) return 0;
  if (class_state == 0 || class_state == 1) return 1;
  return -1;
}

// §A2.2.
int det_state(const KittiObject& d, const std::string& cls, int diff) {
  if (std::abs(d.bbox[3] - d.bbox[1]) < kMinHeight[diff]) return 1;
  return same_name(d.type, cls) ? 0 : -1;
}

struct FrameResult {
  long tp = 0, fp = 0, fn = 0;
  double similarity = 0;
};

// §A5.1 (compute_fp false, appends TP scores) and §A5.2 (compute_fp true, at threshold t).
FrameResult match(const KittiEvalFrame& f, const std::vector<int>& gs, const std::vector<int>& ds,
                  const std::vector<double>& ov, int metric, double thr, double t, bool compute_fp,
                  bool aos, std::vector<double>* tp_scores) {
  const std::size_t ng = f.gt.size(), nd = f.det.size();
  std::vector<bool> assigned(nd, false), below(nd, false);
  if (compute_fp)
    for (std::size_t j = 0; j < nd; ++j) below[j] = f.det[j].score < t;
  std::vector<double> deltas;
  FrameResult r;
  for (std::size_t i = 0; i < ng; ++i) {
    if (gs[i] == -1) continue;
    int picked = -1;
    double best_score = -10000000.0, best_iou = 0;
    bool picked_is_ignored = false;
    for (std::size_t j = 0; j < nd; ++j) {
      if (ds[j] == -1 || assigned[j] || below[j]) continue;
      const double iou = ov[j * ng + i];
      if (!compute_fp) {
        if (iou > thr && f.det[j].score > best_score) {
          picked = static_cast<int>(j);
          best_score = f.det[j].score;
        }
      } else if (iou > thr && ds[j] == 0 && (iou > best_iou || picked_is_ignored)) {
        picked = static_cast<int>(j);
        best_iou = iou;
        picked_is_ignored = false;
      } else if (iou > thr && picked == -1 && ds[j] == 1) {
        picked = static_cast<int>(j);
        picked_is_ignored = true;
      }
    }
    if (picked == -1) {
      if (gs[i] == 0) ++r.fn;
    } else if (gs[i] == 1 || ds[picked] == 1) {
      assigned[picked] = true;
    } else {
      ++r.tp;
      assigned[picked] = true;
      if (tp_scores) tp_scores->push_back(f.det[picked].score);
      if (aos) deltas.push_back(f.gt[i].alpha - f.det[picked].alpha);
    }
  }
  if (!compute_fp) return r;
  for (std::size_t j = 0; j < nd; ++j)
    if (ds[j] == 0 && !assigned[j] && !below[j]) ++r.fp;
  // §A2.3: DontCare regions outer, detections inner; image boxes only.
  if (metric == kImage)
    for (std::size_t k = 0; k < ng; ++k) {
      if (f.gt[k].type != "DontCare") continue;
      for (std::size_t j = 0; j < nd; ++j) {
        if (assigned[j] || ds[j] != 0 || below[j]) continue;
        if (image_overlap_of_first(f.det[j], f.gt[k]) > thr) {
          assigned[j] = true;
          --r.fp;
        }
      }
    }
  // §A5.3.
  if (r.tp > 0 || r.fp > 0) {
    for (double d : deltas) r.similarity += (1.0 + std::cos(d)) / 2.0;
  } else {
    r.similarity = -1;
  }
  return r;
}
}  // namespace

KittiEvalResult evaluate_kitti_reference(const std::vector<KittiEvalFrame>& frames,
                                         const KittiEvalOptions& opt) {
  KittiEvalResult result;
  result.aos = kitti_aos_enabled(frames);
  for (const std::string& cls : opt.classes) {
    KittiClassResult cr;
    cr.cls = cls;
    cr.min_overlap = kitti_min_overlaps(cls);
    for (int diff = 0; diff < 3; ++diff) {
      std::vector<std::vector<int>> gs(frames.size()), ds(frames.size());
      int num_gt = 0;
      for (std::size_t f = 0; f < frames.size(); ++f) {
        for (const auto& g : frames[f].gt) gs[f].push_back(gt_state(g, cls, diff));
        for (const auto& d : frames[f].det) ds[f].push_back(det_state(d, cls, diff));
        num_gt += static_cast<int>(std::count(gs[f].begin(), gs[f].end(), 0));
      }
      cr.num_gt[diff] = num_gt;
      for (int set = 0; set < 2; ++set)
        for (int m = 0; m < 3; ++m) {
          const double thr = cr.min_overlap[set][m];
          const bool aos = result.aos && m == kImage;
          std::vector<std::vector<double>> ov(frames.size());
          std::vector<double> tp_scores;
          for (std::size_t f = 0; f < frames.size(); ++f) {
            ov[f] = overlap_matrix(frames[f].det, frames[f].gt, m);
            match(frames[f], gs[f], ds[f], ov[f], m, thr, 0.0, false, false, &tp_scores);
          }
          const auto thresholds = kitti_score_thresholds(tp_scores, std::max(num_gt, 1));
          KittiCounts counts;
          counts.reset(thresholds.size());
          for (std::size_t t = 0; t < thresholds.size(); ++t)
            for (std::size_t f = 0; f < frames.size(); ++f) {
              const FrameResult r =
                  match(frames[f], gs[f], ds[f], ov[f], m, thr, thresholds[t], true, aos, nullptr);
              counts.tp[t] += r.tp;
              counts.fp[t] += r.fp;
              counts.fn[t] += r.fn;
              if (aos && r.similarity != -1) counts.similarity[t] += r.similarity;
            }
          store_kitti_curves(cr, set, m, diff, aos, counts);
        }
    }
    result.classes.push_back(cr);
  }
  return result;
}

}  // namespace lidardet::eval
