// mmdet3d CenterHead as FlatFormer configures it (flatformer.md §7.1): shared ConvModule
// (conv3x3 + BN + ReLU), then per output (reg, height, dim, rot, vel, iou, heatmap) num_conv - 1
// ConvModules and a final conv with bias. Keys bbox_head.shared_conv.{conv,bn}.* and
// bbox_head.task_heads.0.<name>.<i>.*; BatchNorms folded at load. Decoding reuses
// decode_center_head (CenterHeadMMDet3D settings) and FlatFormer's class-specific NMS.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "models/head_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/weights.hpp"

namespace lidardet {

class FlatFormerHead {
 public:
  FlatFormerHead(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in_channels);
  // Output maps [1, C, H, W] by name (reg, height, dim, rot, vel, iou, heatmap).
  std::map<std::string, nn::Tensor> forward(nn::Backend& be, const nn::Tensor& x) const;
  // Host maps -> final boxes (LiDAR frame, centre z): decode, per-class NMS, then
  // MODEL.POST_PROCESSING.POST_CENTER_LIMIT_RANGE.
  DecodedBoxes post_process(const std::map<std::string, nn::Tensor>& host_maps) const;
  const std::vector<std::string>& outputs() const { return order_; }
  const CenterHeadSettings& settings() const { return s_; }

 private:
  struct Conv {
    nn::Tensor w, b;
    bool relu = true;
  };
  CenterHeadSettings s_;
  double limit_[6] = {0, 0, 0, 0, 0, 0};
  bool has_limit_ = false;
  int final_kernel_ = 3;
  Conv shared_;
  // The first ConvModule of every head reads the same shared map: their weights are stacked
  // into one conv (one im2col and one GEMM instead of one per head); head i owns output
  // channels [i * ch, (i + 1) * ch) of it.
  Conv first_;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<Conv>> heads_;  // the convs after the stacked one
  std::map<std::string, int> first_slot_;           // -1: the head reads the shared map
};

}  // namespace lidardet
