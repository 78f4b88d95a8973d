// Non-maximum suppression variants of the reference detectors (lion.md §2.11, flatformer.md §7.2).
// All return indices into the input arrays, in the order the reference keeps them.
#pragma once
#include <vector>

#include "core/box3d.hpp"

namespace lidardet {

struct NmsSettings {
  double iou_threshold = 0.1;  // suppress when BEV IoU > threshold (strict, as the references)
  int pre_max = 4096;          // keep this many top-scoring boxes before NMS (<= 0: all)
  int post_max = 500;          // keep this many after NMS (<= 0: all)
};

// OpenPCDet's class-agnostic rotated BEV NMS (iou3d_nms): sort by score descending (stable, so
// ties keep input order), truncate to pre_max, greedy suppression, truncate to post_max.
std::vector<int> rotated_nms(const std::vector<Box3D>& boxes, const std::vector<float>& scores,
                             const NmsSettings& s);

// Per-class NMS: for each class 0..num_classes-1 in turn, rotated_nms over the boxes with that
// label using that class's settings; the kept indices are concatenated class by class.
// FlatFormer's class-specific NMS (its box geometry is the true one).
std::vector<int> class_specific_nms(const std::vector<Box3D>& boxes,
                                    const std::vector<float>& scores,
                                    const std::vector<int>& labels,
                                    const std::vector<NmsSettings>& per_class);

// LION's Waymo NMS (DSVT's "mmdet3d version"): per class like class_specific_nms, but the old
// mmdet3d kernel builds each box rotated by -90 degrees about its centre (dx and dy swapped
// relative to the heading). `reference_quirk` = true reproduces that for parity; false uses
// the true box geometry.
std::vector<int> mmdet_multi_class_nms(const std::vector<Box3D>& boxes,
                                       const std::vector<float>& scores,
                                       const std::vector<int>& labels,
                                       const std::vector<NmsSettings>& per_class,
                                       bool reference_quirk = true);

}  // namespace lidardet
