// CenterHead decoding for the two reference families (lion.md §2.10, flatformer.md §7.2):
// heatmap top-k, box regression, score threshold and centre range, IoU rectification, NMS.
#pragma once
#include <string>
#include <vector>

#include "models/anchor_head_decode.hpp"  // DecodedBoxes
#include "models/feature_map.hpp"
#include "models/nms.hpp"

namespace lidardet {

struct CenterHeadSettings {
  // OpenPCDet (LION): rot = (cos, sin), boxes (dx along heading), scores optionally rectified
  // by IoU; MMDet3D (FlatFormer): rot = (sin, cos), score = sigmoid(hm) * clamp(iou)^power,
  // mmdet3d-0.x boxes converted to the LiDAR convention.
  enum class Family { OpenPCDet, MMDet3D } family = Family::OpenPCDet;
  std::vector<std::string> class_names;
  double range_x0 = -75.52, range_y0 = -75.52;  // POINT_CLOUD_RANGE minimum
  double voxel_x = 0.32, voxel_y = 0.32;        // voxel size times the feature-map stride
  int max_objects = 500;                        // top-k per class, then over all classes
  double score_threshold = 0.1;                 // keep scores > threshold
  double center_limit[6] = {-80, -80, -10, 80, 80, 10};
  std::vector<double> iou_rectifier;  // OpenPCDet: alpha per class (empty: none)
  double iou_power = 0;               // MMDet3D: exponent of clamp(iou, 0, 1) (0: none)
  enum class Nms { ClassSpecific, MMDetMultiClass } nms = Nms::ClassSpecific;
  bool nms_reference_quirk = true;  // MMDetMultiClass: reproduce the -90 degree box quirk
  std::vector<NmsSettings> per_class_nms;
};

struct CenterHeadOutputs {
  FeatureMap heatmap;   // K class logits
  FeatureMap center;    // 2: sub-cell offset (x, y)
  FeatureMap center_z;  // 1: box centre z
  FeatureMap dim;       // 3: log sizes
  FeatureMap rot;       // 2
  FeatureMap iou;       // 1, optional (data == nullptr when absent)
};

// Candidates after top-k, threshold and centre range (with rectified scores), before NMS.
DecodedBoxes decode_center_head(const CenterHeadSettings& s, const CenterHeadOutputs& out);
// The final detections: candidates through the configured NMS.
DecodedBoxes center_head_post_process(const CenterHeadSettings& s, const DecodedBoxes& cand);

}  // namespace lidardet
