#include "models/center_head_decode.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/error.hpp"

namespace lidardet {

namespace {
float sigmoidf(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// Indices of the k largest values, descending; ties keep the lower index first.
std::vector<int> top_k(const std::vector<float>& v, int k) {
  std::vector<int> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min<int>(k, static_cast<int>(v.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  idx.resize(k);
  return idx;
}

void check_map(const FeatureMap& m, int channels, int h, int w, const char* name) {
  if (!m.data || m.channels != channels || m.height != h || m.width != w)
    throw Error(std::string("CenterHead: output '") + name + "' must be " +
                std::to_string(channels) + "x" + std::to_string(h) + "x" + std::to_string(w));
}
}  // namespace

DecodedBoxes decode_center_head(const CenterHeadSettings& s, const CenterHeadOutputs& o) {
  const int k = static_cast<int>(s.class_names.size());
  const int h = o.heatmap.height, w = o.heatmap.width;
  check_map(o.heatmap, k, h, w, "heatmap");
  check_map(o.center, 2, h, w, "center");
  check_map(o.center_z, 1, h, w, "center_z");
  check_map(o.dim, 3, h, w, "dim");
  check_map(o.rot, 2, h, w, "rot");
  const bool has_iou = o.iou.data != nullptr;
  if (has_iou) check_map(o.iou, 1, h, w, "iou");
  const bool mm = s.family == CenterHeadSettings::Family::MMDet3D;

  // Scores per class over the map; top-k per class, then top-k over all candidates.
  const std::size_t hw = static_cast<std::size_t>(h) * w;
  std::vector<float> cls_scores(hw);
  std::vector<float> cand_scores;
  std::vector<int> cand_cell, cand_class;
  for (int c = 0; c < k; ++c) {
    for (std::size_t i = 0; i < hw; ++i) {
      float sc = sigmoidf(o.heatmap.data[c * hw + i]);
      if (mm && s.iou_power > 0 && has_iou) {
        const float iou = std::clamp(o.iou.data[i], 0.0f, 1.0f);
        sc *= std::pow(iou, static_cast<float>(s.iou_power));
      }
      cls_scores[i] = sc;
    }
    for (int i : top_k(cls_scores, s.max_objects)) {
      cand_scores.push_back(cls_scores[i]);
      cand_cell.push_back(i);
      cand_class.push_back(c);
    }
  }
  DecodedBoxes out;
  for (int ci : top_k(cand_scores, s.max_objects)) {
    const float score = cand_scores[ci];
    const int cell = cand_cell[ci], cls = cand_class[ci];
    const int row = cell / w, col = cell % w;
    const double cx = (col + o.center.at(0, row, col)) * s.voxel_x + s.range_x0;
    const double cy = (row + o.center.at(1, row, col)) * s.voxel_y + s.range_y0;
    const double cz = o.center_z.at(0, row, col);
    if (!(score > s.score_threshold)) continue;
    if (cx < s.center_limit[0] || cy < s.center_limit[1] || cz < s.center_limit[2] ||
        cx > s.center_limit[3] || cy > s.center_limit[4] || cz > s.center_limit[5])
      continue;
    const double d0 = std::exp(o.dim.at(0, row, col));
    const double d1 = std::exp(o.dim.at(1, row, col));
    const double d2 = std::exp(o.dim.at(2, row, col));
    Box3D b;
    b.x = cx;
    b.y = cy;
    b.z = cz;
    b.h = d2;
    if (mm) {
      // mmdet3d 0.x: d0 is the x-size at r = 0, yaw 0 points along -y (flatformer.md §7.3).
      const double r = std::atan2(o.rot.at(0, row, col), o.rot.at(1, row, col));
      b.l = d1;
      b.w = d0;
      b.yaw = wrap_angle(-(r + std::numbers::pi / 2));
    } else {
      b.l = d0;
      b.w = d1;
      b.yaw = std::atan2(o.rot.at(1, row, col), o.rot.at(0, row, col));
    }
    float final_score = score;
    if (!mm && has_iou && !s.iou_rectifier.empty()) {
      const double iou = std::clamp((o.iou.at(0, row, col) + 1.0) * 0.5, 0.0, 1.0);
      const double alpha =
          s.iou_rectifier.at(std::min<std::size_t>(cls, s.iou_rectifier.size() - 1));
      final_score = static_cast<float>(std::pow(score, 1.0 - alpha) * std::pow(iou, alpha));
    }
    b.label = s.class_names[cls];
    b.score = final_score;
    out.boxes.push_back(b);
    out.scores.push_back(final_score);
    out.labels.push_back(cls);
  }
  return out;
}

DecodedBoxes center_head_post_process(const CenterHeadSettings& s, const DecodedBoxes& cand) {
  if (s.per_class_nms.size() != s.class_names.size())
    throw Error("CenterHead: NMS settings for " + std::to_string(s.per_class_nms.size()) +
                " classes, the head has " + std::to_string(s.class_names.size()));
  const auto keep = s.nms == CenterHeadSettings::Nms::MMDetMultiClass
                        ? mmdet_multi_class_nms(cand.boxes, cand.scores, cand.labels,
                                                s.per_class_nms, s.nms_reference_quirk)
                        : class_specific_nms(cand.boxes, cand.scores, cand.labels, s.per_class_nms);
  DecodedBoxes out;
  for (int i : keep) {
    out.boxes.push_back(cand.boxes[i]);
    out.scores.push_back(cand.scores[i]);
    out.labels.push_back(cand.labels[i]);
  }
  return out;
}

}  // namespace lidardet
