// AnchorHeadSingle decoding (OpenPCDet; lion.md §2.10): anchors per BEV cell, the residual box
// coder, direction bins, then score threshold, top-k and class-agnostic rotated NMS.
#pragma once
#include <string>
#include <vector>

#include "core/box3d.hpp"
#include "models/feature_map.hpp"
#include "models/nms.hpp"

namespace lidardet {

struct AnchorClass {
  std::string name;
  std::vector<std::array<double, 3>> sizes;  // (l, w, h) of each anchor size
  std::vector<double> rotations;             // radians
  double bottom_height = 0;                  // anchor z = bottom_height + h / 2
};

struct AnchorHeadSettings {
  std::vector<AnchorClass> classes;
  double range[6] = {0, -40, -3, 70.4, 40, 1};  // x0 y0 z0 x1 y1 z1 (POINT_CLOUD_RANGE)
  bool align_center = false;
  double dir_offset = 0.78539;
  double dir_limit_offset = 0.0;
  int num_dir_bins = 2;
  double score_threshold = 0.1;
  NmsSettings nms{0.01, 4096, 500};
};

struct DecodedBoxes {
  std::vector<Box3D> boxes;
  std::vector<float> scores;
  std::vector<int> labels;  // 0-based class index
};

// One anchor box per (cell, class, size, rotation) in OpenPCDet's order, for an H x W map.
std::vector<Box3D> generate_anchors(const AnchorHeadSettings& s, int height, int width);

// Decodes raw head outputs (cls: A*K channels, box: A*7, dir: A*bins; A anchors per cell,
// K classes) into every anchor's box, score (sigmoid, max over classes) and label. Anchors
// scoring below `min_score` are left out (the detector passes the score threshold, so that only
// candidates are decoded; order and values of the rest are unchanged).
DecodedBoxes decode_anchor_head(const AnchorHeadSettings& s, const FeatureMap& cls,
                                const FeatureMap& box, const FeatureMap& dir,
                                double min_score = -1.0);

// Score threshold (>=), top pre_max, rotated NMS, first post_max: the final detections.
DecodedBoxes anchor_head_post_process(const AnchorHeadSettings& s, const DecodedBoxes& all);

}  // namespace lidardet
