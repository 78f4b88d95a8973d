#include "models/nms.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/geometry.hpp"

namespace lidardet {

namespace {
void check_sizes(std::size_t boxes, std::size_t scores, const char* what) {
  if (boxes != scores)
    throw Error(std::string(what) + ": " + std::to_string(boxes) + " boxes but " +
                std::to_string(scores) + " scores");
}

// Greedy suppression over `order` (already sorted and truncated); returns kept indices.
std::vector<int> greedy(const std::vector<Box3D>& boxes, const std::vector<int>& order, double thr,
                        int post_max) {
  std::vector<int> keep;
  std::vector<char> removed(order.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (removed[i]) continue;
    keep.push_back(order[i]);
    if (post_max > 0 && static_cast<int>(keep.size()) >= post_max) break;
    const Box3D& a = boxes[order[i]];
    for (std::size_t j = i + 1; j < order.size(); ++j)
      if (!removed[j] && bev_iou(a, boxes[order[j]]) > thr) removed[j] = 1;
  }
  return keep;
}

std::vector<int> sorted_subset(const std::vector<int>& subset, const std::vector<float>& scores,
                               int pre_max) {
  std::vector<int> order = subset;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  if (pre_max > 0 && static_cast<int>(order.size()) > pre_max) order.resize(pre_max);
  return order;
}

std::vector<int> per_class(const std::vector<Box3D>& boxes, const std::vector<float>& scores,
                           const std::vector<int>& labels,
                           const std::vector<NmsSettings>& settings) {
  check_sizes(boxes.size(), scores.size(), "class NMS");
  check_sizes(boxes.size(), labels.size(), "class NMS (labels)");
  std::vector<int> out;
  for (int k = 0; k < static_cast<int>(settings.size()); ++k) {
    std::vector<int> subset;
    for (int i = 0; i < static_cast<int>(labels.size()); ++i)
      if (labels[i] == k) subset.push_back(i);
    const auto order = sorted_subset(subset, scores, settings[k].pre_max);
    const auto kept = greedy(boxes, order, settings[k].iou_threshold, settings[k].post_max);
    out.insert(out.end(), kept.begin(), kept.end());
  }
  return out;
}
}  // namespace

std::vector<int> rotated_nms(const std::vector<Box3D>& boxes, const std::vector<float>& scores,
                             const NmsSettings& s) {
  check_sizes(boxes.size(), scores.size(), "rotated NMS");
  std::vector<int> all(boxes.size());
  std::iota(all.begin(), all.end(), 0);
  return greedy(boxes, sorted_subset(all, scores, s.pre_max), s.iou_threshold, s.post_max);
}

std::vector<int> class_specific_nms(const std::vector<Box3D>& boxes,
                                    const std::vector<float>& scores,
                                    const std::vector<int>& labels,
                                    const std::vector<NmsSettings>& settings) {
  return per_class(boxes, scores, labels, settings);
}

std::vector<int> mmdet_multi_class_nms(const std::vector<Box3D>& boxes,
                                       const std::vector<float>& scores,
                                       const std::vector<int>& labels,
                                       const std::vector<NmsSettings>& settings,
                                       bool reference_quirk) {
  if (!reference_quirk) return per_class(boxes, scores, labels, settings);
  // The kernel's rectangle is the true box turned by -90 degrees: same as swapping l and w.
  std::vector<Box3D> turned = boxes;
  for (auto& b : turned) std::swap(b.l, b.w);
  return per_class(turned, scores, labels, settings);
}

}  // namespace lidardet
