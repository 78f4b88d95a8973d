#include "eval/kitti_eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

#include "core/error.hpp"
#include "eval/kitti_iou.hpp"

namespace lidardet::eval {

namespace {
constexpr double kMinHeight[3] = {40, 25, 25};
constexpr int kMaxOcclusion[3] = {0, 1, 2};
constexpr double kMaxTruncation[3] = {0.15, 0.30, 0.50};
constexpr int kSamplePoints = 41;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Ignore states of one frame for (class, difficulty): 0 valid, 1 ignored, -1 not considered.
struct FrameStates {
  std::vector<int> gt, det;
  std::vector<int> dontcare;  // indices into gt rows
  // Rows whose state is not -1, in file order: the only ones matching looks at.
  std::vector<int> gt_rows, det_rows;
  int num_valid_gt = 0;
};

FrameStates frame_states(const KittiEvalFrame& f, const std::string& cls, int diff) {
  FrameStates s;
  const std::string c = lower(cls);
  for (std::size_t i = 0; i < f.gt.size(); ++i) {
    const KittiObject& g = f.gt[i];
    const std::string t = lower(g.type);
    int class_state = -1;
    if (t == c)
      class_state = 1;
    else if ((c == "pedestrian" && t == "person_sitting") || (c == "car" && t == "van"))
      class_state = 0;
    const double height = g.bbox[3] - g.bbox[1];
    const bool too_hard = g.occluded > kMaxOcclusion[diff] || g.truncated > kMaxTruncation[diff] ||
                          height <= kMinHeight[diff];
    int state = -1;
    if (class_state == 1 && !too_hard)
      state = 0, ++s.num_valid_gt;
    else if (class_state == 0 || class_state == 1)
      state = 1;
    s.gt.push_back(state);
    if (state != -1) s.gt_rows.push_back(static_cast<int>(i));
    if (g.type == "DontCare") s.dontcare.push_back(static_cast<int>(i));
  }
  for (const KittiObject& d : f.det) {
    const double height = std::abs(d.bbox[3] - d.bbox[1]);
    // A too-small detection is ignored whatever its class (it can still absorb a GT).
    if (height < kMinHeight[diff])
      s.det.push_back(1);
    else
      s.det.push_back(lower(d.type) == c ? 0 : -1);
    if (s.det.back() != -1) s.det_rows.push_back(static_cast<int>(s.det.size() - 1));
  }
  return s;
}

struct Stats {
  long tp = 0, fp = 0, fn = 0;
  double similarity = 0;
};

// For each ground truth of a frame, the detections overlapping it by more than the threshold,
// in file order. Every matching rule needs overlap > threshold, so scanning only these gives
// the reference's result while skipping the (many) pairs that cannot match.
struct Candidates {
  std::vector<std::uint32_t> offsets;  // ng + 1
  std::vector<std::uint32_t> dets;
};

Candidates candidates(const std::vector<double>& ov, std::size_t nd, std::size_t ng, double thr) {
  Candidates c;
  c.offsets.reserve(ng + 1);
  c.offsets.push_back(0);
  for (std::size_t i = 0; i < ng; ++i) {
    for (std::size_t j = 0; j < nd; ++j)
      if (ov[j * ng + i] > thr) c.dets.push_back(static_cast<std::uint32_t>(j));
    c.offsets.push_back(static_cast<std::uint32_t>(c.dets.size()));
  }
  return c;
}

struct Scratch {
  std::vector<char> assigned, below;
  std::vector<double> deltas;
};

// One frame's matching (eval.md §A5). Pass 1 (compute_fp false) appends TP scores to
// `tp_scores`; pass 2 counts TP/FP/FN at score threshold `thresh`.
Stats match_frame(const KittiEvalFrame& f, const FrameStates& s,
                  const std::vector<double>& overlaps, const Candidates& cand,
                  const std::vector<double>& dc_overlaps, int metric, double min_overlap,
                  double thresh, bool compute_fp, bool compute_aos, std::vector<double>* tp_scores,
                  Scratch& w) {
  const std::size_t nd = f.det.size(), ng = f.gt.size();  // overlaps are [det][gt]
  w.assigned.assign(nd, 0);
  w.below.assign(nd, 0);
  w.deltas.clear();
  if (compute_fp)
    for (int j : s.det_rows) w.below[j] = f.det[j].score < thresh;
  constexpr double kNoDetection = -10000000.0;
  Stats st;
  for (int i : s.gt_rows) {
    int det_idx = -1;
    double valid = kNoDetection, max_overlap = 0;
    bool picked_ignored = false;
    for (std::uint32_t k = cand.offsets[i]; k < cand.offsets[i + 1]; ++k) {
      const int j = static_cast<int>(cand.dets[k]);
      if (s.det[j] == -1 || w.assigned[j] || w.below[j]) continue;
      const double ov = overlaps[j * ng + i];  // > min_overlap by construction
      if (!compute_fp) {
        if (f.det[j].score > valid) {
          det_idx = j;
          valid = f.det[j].score;
        }
      } else if ((ov > max_overlap || picked_ignored) && s.det[j] == 0) {
        max_overlap = ov;
        det_idx = j;
        valid = 1;
        picked_ignored = false;
      } else if (valid == kNoDetection && s.det[j] == 1) {
        det_idx = j;
        valid = 1;
        picked_ignored = true;
      }
    }
    if (valid == kNoDetection) {
      if (s.gt[i] == 0) ++st.fn;
    } else if (s.gt[i] == 1 || s.det[det_idx] == 1) {
      w.assigned[det_idx] = 1;
    } else {
      ++st.tp;
      if (tp_scores) tp_scores->push_back(f.det[det_idx].score);
      if (compute_aos) w.deltas.push_back(f.gt[i].alpha - f.det[det_idx].alpha);
      w.assigned[det_idx] = 1;
    }
  }
  if (compute_fp) {
    for (int j : s.det_rows)
      if (!w.assigned[j] && s.det[j] == 0 && !w.below[j]) ++st.fp;
    long absorbed = 0;
    if (metric == kImage)
      for (std::size_t k = 0; k < s.dontcare.size(); ++k)
        for (int j : s.det_rows) {
          if (w.assigned[j] || s.det[j] != 0 || w.below[j]) continue;
          if (dc_overlaps[j * s.dontcare.size() + k] > min_overlap) {
            w.assigned[j] = 1;
            ++absorbed;
          }
        }
    st.fp -= absorbed;
    if (compute_aos) {
      double sim = 0;
      for (double d : w.deltas) sim += (1.0 + std::cos(d)) / 2.0;
      st.similarity = (st.tp > 0 || st.fp > 0) ? sim : -1;
    }
  }
  return st;
}

double average(const std::array<double, 41>& p, bool r40) {
  double sum = 0;
  if (r40) {
    for (int i = 1; i < kSamplePoints; ++i) sum += p[i];
    return sum / 40.0 * 100.0;
  }
  for (int i = 0; i < kSamplePoints; i += 4) sum += p[i];
  return sum / 11.0 * 100.0;
}
}  // namespace

std::vector<double> kitti_score_thresholds(std::vector<double> v, int num_gt) {
  std::sort(v.begin(), v.end(), std::greater<>());
  std::vector<double> out;
  double current = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double l = static_cast<double>(i + 1) / num_gt;
    const bool last = i + 1 == v.size();
    const double r = last ? l : static_cast<double>(i + 2) / num_gt;
    if (!last && (r - current) < (current - l)) continue;
    out.push_back(v[i]);
    current += 1.0 / (kSamplePoints - 1.0);
  }
  return out;
}

std::array<std::array<double, 3>, 2> kitti_min_overlaps(const std::string& cls) {
  const std::string c = lower(cls);
  if (c == "car" || c == "van") return {{{0.7, 0.7, 0.7}, {0.7, 0.5, 0.5}}};
  if (c == "truck") return {{{0.7, 0.7, 0.7}, {0.5, 0.5, 0.5}}};
  if (c == "pedestrian" || c == "cyclist" || c == "person_sitting")
    return {{{0.5, 0.5, 0.5}, {0.5, 0.25, 0.25}}};
  throw Error("KITTI evaluation: unknown class '" + cls +
              "' (expected Car, Pedestrian, Cyclist, Van, Person_sitting or Truck)");
}

KittiEvalResult evaluate_kitti(const std::vector<KittiEvalFrame>& frames,
                               const KittiEvalOptions& opt) {
  KittiEvalResult result;
  // OpenPCDet enables AOS when the first frame with detections has a valid alpha.
  for (const auto& f : frames)
    if (!f.det.empty()) {
      result.aos = f.det[0].alpha != -10;
      break;
    }
  // Overlaps depend only on (frame, metric): compute them once.
  std::array<std::vector<std::vector<double>>, 3> overlaps;
  std::vector<std::vector<double>> dc_overlaps(frames.size());
  for (int m = 0; m < 3; ++m) {
    overlaps[m].resize(frames.size());
    for (std::size_t f = 0; f < frames.size(); ++f)
      overlaps[m][f] = overlap_matrix(frames[f].det, frames[f].gt, m);
  }
  // Candidate lists depend on (metric, overlap threshold) only: build each once.
  std::map<std::pair<int, double>, std::vector<Candidates>> cand_cache;
  auto cands = [&](int m, double thr) -> const std::vector<Candidates>& {
    auto [it, fresh] = cand_cache.try_emplace({m, thr});
    if (fresh)
      for (std::size_t f = 0; f < frames.size(); ++f)
        it->second.push_back(
            candidates(overlaps[m][f], frames[f].det.size(), frames[f].gt.size(), thr));
    return it->second;
  };
  Scratch scratch;
  for (const std::string& cls : opt.classes) {
    KittiClassResult cr;
    cr.cls = cls;
    cr.min_overlap = kitti_min_overlaps(cls);
    for (int diff = 0; diff < 3; ++diff) {
      std::vector<FrameStates> states;
      int num_gt = 0;
      for (std::size_t f = 0; f < frames.size(); ++f) {
        states.push_back(frame_states(frames[f], cls, diff));
        num_gt += states.back().num_valid_gt;
        if (cls == opt.classes.front() && diff == 0) {
          // DontCare overlaps (intersection / detection area), image boxes only.
          const auto& s = states.back();
          auto& dc = dc_overlaps[f];
          dc.resize(frames[f].det.size() * s.dontcare.size());
          for (std::size_t j = 0; j < frames[f].det.size(); ++j)
            for (std::size_t k = 0; k < s.dontcare.size(); ++k)
              dc[j * s.dontcare.size() + k] =
                  image_overlap_of_first(frames[f].det[j], frames[f].gt[s.dontcare[k]]);
        }
      }
      cr.num_gt[diff] = num_gt;
      for (int set = 0; set < 2; ++set)
        for (int m = 0; m < 3; ++m) {
          const double thr = cr.min_overlap[set][m];
          const auto& cand = cands(m, thr);
          std::vector<double> tp_scores;
          for (std::size_t f = 0; f < frames.size(); ++f)
            match_frame(frames[f], states[f], overlaps[m][f], cand[f], dc_overlaps[f], m, thr, 0.0,
                        false, false, &tp_scores, scratch);
          const auto thresholds = kitti_score_thresholds(tp_scores, std::max(num_gt, 1));
          const bool aos = result.aos && m == kImage;
          KittiCurve curve, orient;
          curve.num_thresholds = orient.num_thresholds = static_cast<int>(thresholds.size());
          const std::size_t nt = thresholds.size();
          std::vector<long> tp(nt, 0), fp(nt, 0), fn(nt, 0);
          std::vector<double> sim(nt, 0.0);
          // Frames outer, thresholds inner (each threshold still sums frames in order). A frame's
          // result depends on the threshold only through which of its detections pass it, so
          // consecutive thresholds that admit no new detection reuse the previous result.
          std::vector<double> scores;
          for (std::size_t f = 0; f < frames.size(); ++f) {
            scores.clear();
            for (int j : states[f].det_rows) scores.push_back(frames[f].det[j].score);
            std::sort(scores.begin(), scores.end(), std::greater<>());
            std::size_t passing = 0, last_passing = 0;
            Stats st;
            for (std::size_t t = 0; t < nt; ++t) {
              while (passing < scores.size() && scores[passing] >= thresholds[t]) ++passing;
              if (t == 0 || passing != last_passing)
                st = match_frame(frames[f], states[f], overlaps[m][f], cand[f], dc_overlaps[f], m,
                                 thr, thresholds[t], true, aos, nullptr, scratch);
              last_passing = passing;
              tp[t] += st.tp;
              fp[t] += st.fp;
              fn[t] += st.fn;
              if (aos && st.similarity != -1) sim[t] += st.similarity;
            }
          }
          for (std::size_t t = 0; t < nt; ++t) {
            curve.precision[t] = static_cast<double>(tp[t]) / (tp[t] + fp[t]);
            curve.recall[t] = static_cast<double>(tp[t]) / (tp[t] + fn[t]);
            if (aos) orient.precision[t] = sim[t] / (tp[t] + fp[t]);
          }
          // Interpolate: each slot takes the maximum over itself and every later slot.
          for (int t = 0; t < curve.num_thresholds; ++t) {
            curve.precision[t] =
                *std::max_element(curve.precision.begin() + t, curve.precision.end());
            curve.recall[t] = *std::max_element(curve.recall.begin() + t, curve.recall.end());
            orient.precision[t] =
                *std::max_element(orient.precision.begin() + t, orient.precision.end());
          }
          cr.curves[set][m][diff] = curve;
          cr.ap_r11[set][m][diff] = average(curve.precision, false);
          cr.ap_r40[set][m][diff] = average(curve.precision, true);
          if (m == kImage) {
            orient.recall = curve.recall;
            cr.curves[set][3][diff] = orient;
            cr.ap_r11[set][3][diff] = aos ? average(orient.precision, false) : 0.0;
            cr.ap_r40[set][3][diff] = aos ? average(orient.precision, true) : 0.0;
          }
        }
    }
    result.classes.push_back(cr);
  }
  return result;
}

std::string format_kitti_result(const KittiEvalResult& r) {
  std::string out;
  char line[256];
  const char* names[3] = {"bbox", "bev ", "3d  "};
  for (const auto& c : r.classes)
    for (int set = 0; set < 2; ++set)
      for (int r40 = 0; r40 < 2; ++r40) {
        const auto& ap = r40 ? c.ap_r40[set] : c.ap_r11[set];
        std::snprintf(line, sizeof line, "%s %s@%.2f, %.2f, %.2f:\n", c.cls.c_str(),
                      r40 ? "AP_R40" : "AP", c.min_overlap[set][0], c.min_overlap[set][1],
                      c.min_overlap[set][2]);
        out += line;
        for (int m = 0; m < 3; ++m) {
          std::snprintf(line, sizeof line, "%s AP:%.4f, %.4f, %.4f\n", names[m], ap[m][0], ap[m][1],
                        ap[m][2]);
          out += line;
        }
        if (r.aos) {
          std::snprintf(line, sizeof line, "aos  AP:%.2f, %.2f, %.2f\n", ap[3][0], ap[3][1],
                        ap[3][2]);
          out += line;
        }
      }
  return out;
}

}  // namespace lidardet::eval
