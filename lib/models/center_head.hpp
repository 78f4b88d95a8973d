// OpenPCDet CenterHead's convolutions (LION Waymo, lion.md §2.10): shared conv, then per output
// (center, center_z, dim, rot, iou, hm) num_conv - 1 conv-BN-ReLU units and a final 3x3 conv.
// Decoding and NMS are in center_head_decode.hpp.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "models/head_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/weights.hpp"

namespace lidardet {

class CenterHead {
 public:
  CenterHead(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in_channels, bool corrected_nms);
  // Output maps [1, C, H, W] by name (hm, center, center_z, dim, rot, iou).
  std::map<std::string, nn::Tensor> forward(nn::Backend& be, const nn::Tensor& x) const;
  const CenterHeadSettings& settings() const { return s_; }
  const std::vector<std::string>& outputs() const { return order_; }

 private:
  struct Conv {
    nn::Tensor w, b;
    bool relu = true;
  };
  CenterHeadSettings s_;
  Conv shared_;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<Conv>> heads_;
};

}  // namespace lidardet
