// Head and post-processing settings read from a model config (OpenPCDet key names).
#pragma once
#include "models/anchor_head_decode.hpp"
#include "models/center_head_decode.hpp"
#include "models/model_config.hpp"

namespace lidardet {

// MODEL.DENSE_HEAD (AnchorHeadSingle) + MODEL.POST_PROCESSING + DATA_CONFIG.POINT_CLOUD_RANGE.
AnchorHeadSettings anchor_head_settings(const ModelConfig& cfg);

// MODEL.DENSE_HEAD of NAME CenterHead (LION, OpenPCDet) or CenterHeadMMDet3D (FlatFormer).
// `feature_map_stride` x VOXEL_SIZE gives the BEV cell size. `corrected_nms` swaps the
// reference's quirky mmdet3d NMS geometry for the true one.
CenterHeadSettings center_head_settings(const ModelConfig& cfg, bool corrected_nms = false);

}  // namespace lidardet
