#include "eval/kitti_eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "eval/kitti_iou.hpp"
#include "eval/kitti_match.hpp"
#include "eval/kitti_pr.hpp"

namespace lidardet::eval {

namespace {
constexpr double kMinHeight[3] = {40, 25, 25};
constexpr double kMaxMinHeight = 40;  // a detection lower than this is ignored at some difficulty
constexpr int kMaxOcclusion[3] = {0, 1, 2};
constexpr double kMaxTruncation[3] = {0.15, 0.30, 0.50};
constexpr int kSamplePoints = 41;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

using ClassMask = std::uint64_t;
ClassMask class_bit(std::size_t c) { return c < 64 ? ClassMask{1} << c : ~ClassMask{0}; }

// What the evaluation needs of the frames independently of class and difficulty, computed once:
// the class of every object, detections in score order, DontCare overlaps, and the sparse
// overlaps above the lowest threshold in use (no other overlap value can change a result).
struct Prepared {
  std::vector<std::size_t> gt_off, det_off;        // per frame, into the flat arrays below
  std::vector<std::vector<std::int8_t>> gt_class;  // [class][gt]: §A2.1 class_state
  std::vector<std::vector<char>> det_class;        // [class][det]: type is the class
  std::vector<double> score;                       // per detection
  std::vector<double> gt_height, gt_truncated, det_height;
  std::vector<int> gt_occluded;
  std::vector<std::uint32_t> by_score;  // frame-local indices, score descending
  std::vector<double> sorted_score;     // aligned with by_score
  std::vector<double> dontcare;         // max intersection / det area, or -1
  std::array<std::vector<detail::KittiPair>, 3> pairs;
  std::array<std::vector<std::size_t>, 3> pair_off;  // per frame + 1
};

Prepared prepare(const std::vector<KittiEvalFrame>& frames, const std::vector<std::string>& classes,
                 const std::array<double, 3>& min_thr) {
  Prepared p;
  const std::size_t nc = classes.size();
  p.gt_class.resize(nc);
  p.det_class.resize(nc);
  p.gt_off.push_back(0);
  p.det_off.push_back(0);
  for (auto& o : p.pair_off) o.push_back(0);
  std::size_t total_gt = 0, total_det = 0;
  for (const auto& f : frames) total_gt += f.gt.size(), total_det += f.det.size();
  for (std::size_t c = 0; c < nc; ++c) {
    p.gt_class[c].reserve(total_gt);
    p.det_class[c].reserve(total_det);
  }
  for (auto* v : {&p.gt_height, &p.gt_truncated}) v->reserve(total_gt);
  p.gt_occluded.reserve(total_gt);
  for (auto* v : {&p.score, &p.sorted_score, &p.dontcare, &p.det_height}) v->reserve(total_det);
  p.by_score.reserve(total_det);
  for (auto& v : p.pairs) v.reserve(total_det);
  std::vector<ClassMask> gt_mask, det_mask;
  std::vector<BevFootprint> gt_fp, det_fp;
  for (const KittiEvalFrame& f : frames) {
    const std::size_t ng = f.gt.size(), nd = f.det.size();
    gt_mask.assign(ng, 0);
    det_mask.assign(nd, 0);
    std::vector<std::size_t> dontcare_rows;
    for (std::size_t i = 0; i < ng; ++i) {
      const std::string t = lower(f.gt[i].type);
      for (std::size_t c = 0; c < nc; ++c) {
        std::int8_t state = -1;
        if (t == classes[c])
          state = 1;
        else if ((classes[c] == "pedestrian" && t == "person_sitting") ||
                 (classes[c] == "car" && t == "van"))
          state = 0;
        p.gt_class[c].push_back(state);
        if (state != -1) gt_mask[i] |= class_bit(c);
      }
      if (f.gt[i].type == "DontCare") dontcare_rows.push_back(i);  // case-sensitive, as python
      p.gt_height.push_back(f.gt[i].bbox[3] - f.gt[i].bbox[1]);
      p.gt_truncated.push_back(f.gt[i].truncated);
      p.gt_occluded.push_back(f.gt[i].occluded);
    }
    for (std::size_t j = 0; j < nd; ++j) {
      const KittiObject& d = f.det[j];
      if (std::isnan(d.score))
        throw Error("KITTI evaluation: frame '" + f.id + "', detection " + std::to_string(j + 1) +
                    ": score is NaN (expected a number)");
      const std::string t = lower(d.type);
      for (std::size_t c = 0; c < nc; ++c) {
        p.det_class[c].push_back(t == classes[c]);
        if (t == classes[c]) det_mask[j] |= class_bit(c);
      }
      // A too-small detection takes part for every class (§A2.2).
      p.det_height.push_back(std::abs(d.bbox[3] - d.bbox[1]));
      if (p.det_height.back() < kMaxMinHeight) det_mask[j] = ~ClassMask{0};
      double dc = -1;
      for (std::size_t k : dontcare_rows) dc = std::max(dc, image_overlap_of_first(d, f.gt[k]));
      p.dontcare.push_back(dc);
    }
    const std::size_t order_base = p.by_score.size();
    for (std::size_t j = 0; j < nd; ++j) p.by_score.push_back(static_cast<std::uint32_t>(j));
    std::stable_sort(
        p.by_score.begin() + order_base, p.by_score.end(),
        [&](std::uint32_t a, std::uint32_t b) { return f.det[a].score > f.det[b].score; });
    for (std::size_t j = 0; j < nd; ++j) {
      p.score.push_back(f.det[j].score);
      p.sorted_score.push_back(f.det[p.by_score[order_base + j]].score);
    }
    gt_fp.clear();
    det_fp.clear();
    for (const auto& g : f.gt) gt_fp.push_back(bev_footprint(g));
    for (const auto& d : f.det) det_fp.push_back(bev_footprint(d));
    for (std::size_t i = 0; i < ng; ++i)
      for (std::size_t j = 0; j < nd; ++j) {
        if (!(gt_mask[i] & det_mask[j])) continue;  // never compared for any class
        const KittiObject& d = f.det[j];
        const KittiObject& g = f.gt[i];
        const auto gi = static_cast<std::uint32_t>(i), dj = static_cast<std::uint32_t>(j);
        if (const double v = image_iou(d, g); v > min_thr[kImage])
          p.pairs[kImage].push_back({gi, dj, v, (1.0 + std::cos(g.alpha - d.alpha)) / 2.0});
        if (bev_apart(det_fp[j], gt_fp[i])) continue;
        const float inter = bev_intersection_area_f32(det_fp[j], gt_fp[i]);
        if (const double v = bev_iou_from_area(d, g, inter); v > min_thr[kBev])
          p.pairs[kBev].push_back({gi, dj, v, 0.0});
        if (const double v = iou_3d_from_area(d, g, inter); v > min_thr[k3d])
          p.pairs[k3d].push_back({gi, dj, v, 0.0});
      }
    p.gt_off.push_back(p.gt_off.back() + ng);
    p.det_off.push_back(p.det_off.back() + nd);
    for (int m = 0; m < 3; ++m) p.pair_off[m].push_back(p.pairs[m].size());
  }
  return p;
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

bool kitti_aos_enabled(const std::vector<KittiEvalFrame>& frames) {
  for (const auto& f : frames)
    if (!f.det.empty()) return f.det[0].alpha != -10;
  return false;
}

KittiEvalResult evaluate_kitti(const std::vector<KittiEvalFrame>& frames,
                               const KittiEvalOptions& opt) {
  KittiEvalResult result;
  result.aos = kitti_aos_enabled(frames);
  std::vector<std::string> classes;
  std::array<double, 3> min_thr{1, 1, 1};  // lowest threshold per metric over everything in use
  for (const std::string& cls : opt.classes) {
    classes.push_back(lower(cls));
    for (const auto& set : kitti_min_overlaps(cls))
      for (int m = 0; m < 3; ++m) min_thr[m] = std::min(min_thr[m], set[m]);
  }
  const Prepared p = prepare(frames, classes, min_thr);
  std::vector<std::int8_t> gs(p.gt_off.back()), ds(p.det_off.back());
  std::vector<int> valid_gt(frames.size());
  detail::KittiMatcher matcher;
  KittiCounts counts;
  std::vector<double> tp_scores;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    KittiClassResult cr;
    cr.cls = opt.classes[c];
    cr.min_overlap = kitti_min_overlaps(cr.cls);
    for (int diff = 0; diff < 3; ++diff) {
      int num_gt = 0;
      for (std::size_t f = 0; f < frames.size(); ++f) {
        valid_gt[f] = 0;
        for (std::size_t i = p.gt_off[f]; i < p.gt_off[f + 1]; ++i) {
          const std::int8_t class_state = p.gt_class[c][i];
          const bool too_hard = p.gt_occluded[i] > kMaxOcclusion[diff] ||
                                p.gt_truncated[i] > kMaxTruncation[diff] ||
                                p.gt_height[i] <= kMinHeight[diff];
          std::int8_t state = -1;
          if (class_state == 1 && !too_hard)
            state = 0, ++valid_gt[f];
          else if (class_state != -1)
            state = 1;
          gs[i] = state;
        }
        num_gt += valid_gt[f];
        // A too-small detection is ignored whatever its class (it can still absorb a GT).
        for (std::size_t j = p.det_off[f]; j < p.det_off[f + 1]; ++j)
          ds[j] = p.det_height[j] < kMinHeight[diff] ? 1 : p.det_class[c][j] ? 0 : -1;
      }
      cr.num_gt[diff] = num_gt;
      for (int set = 0; set < 2; ++set)
        for (int m = 0; m < 3; ++m) {
          const double thr = cr.min_overlap[set][m];
          const bool aos = result.aos && m == kImage;
          if (set == 1 && thr == cr.min_overlap[0][m]) {
            // Same threshold as the strict set: the same computation, so the same results.
            for (int slot : {m, m == kImage ? 3 : m}) {
              cr.curves[1][slot][diff] = cr.curves[0][slot][diff];
              cr.ap_r11[1][slot][diff] = cr.ap_r11[0][slot][diff];
              cr.ap_r40[1][slot][diff] = cr.ap_r40[0][slot][diff];
            }
            continue;
          }
          matcher.reset(thr, m == kImage, aos);
          for (std::size_t f = 0; f < frames.size(); ++f) {
            const std::size_t po = p.pair_off[m][f];
            matcher.add_frame({&frames[f], p.pairs[m].data() + po, p.pair_off[m][f + 1] - po,
                               gs.data() + p.gt_off[f], ds.data() + p.det_off[f],
                               p.score.data() + p.det_off[f], p.by_score.data() + p.det_off[f],
                               p.sorted_score.data() + p.det_off[f],
                               p.dontcare.data() + p.det_off[f], valid_gt[f]});
          }
          tp_scores.clear();
          for (std::size_t f = 0; f < frames.size(); ++f) matcher.collect_tp_scores(f, tp_scores);
          const auto thresholds = kitti_score_thresholds(tp_scores, std::max(num_gt, 1));
          counts.reset(thresholds.size());
          for (std::size_t f = 0; f < frames.size(); ++f) matcher.count(f, thresholds, counts);
          store_kitti_curves(cr, set, m, diff, aos, counts);
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
