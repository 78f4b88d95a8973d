// The FlatFormer detector's stages (mmdet3d DynamicCenterPoint, flatformer.md): DynamicVFE ->
// FlatFormer encoder blocks -> pillar scatter to BEV -> SECOND + SECONDFPN -> CenterHead ->
// decoding and class-specific NMS. lidardet::Detector runs these by name (docs/trace.md):
//   vfe, backbone_3d.block_list.<i>, map_to_bev, backbone_2d, dense_head, post_processing.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/box3d.hpp"
#include "core/point_cloud.hpp"
#include "models/flatformer_bev.hpp"
#include "models/flatformer_encoder.hpp"
#include "models/flatformer_head.hpp"
#include "models/flatformer_vfe.hpp"

namespace lidardet {

// True when the config describes a FlatFormer model (MODEL.NAME or MODEL.BACKBONE_3D.NAME).
bool is_flatformer_config(const ModelConfig& cfg);

class FlatFormerModel {
 public:
  FlatFormerModel(nn::WeightLoader& wl, const ModelConfig& cfg);

  std::vector<std::string> stage_names() const;

  // What flows between stages.
  struct State {
    SparseVoxels sparse;
    std::shared_ptr<FlatFormerFrame> frame;  // orders and embeddings, shared by the blocks
    nn::Tensor dense;
    std::map<std::string, nn::Tensor> maps;
    std::vector<Box3D> boxes;
  };
  // The state before stage i, from tensors named as stage i - 1 records them.
  State load_state(nn::Backend& be, std::size_t i,
                   const std::map<std::string, nn::Tensor>& inputs) const;
  // Runs stage i (index into stage_names()); stage 0 needs `cloud`.
  void run_stage(nn::Backend& be, std::size_t i, const PointCloud* cloud, State& st,
                 const StageRecorder& rec) const;

 private:
  std::string cfg_path_;
  FlatFormerVfe vfe_;
  FlatFormerEncoder encoder_;
  int64_t bev_channels_ = 0;
  FlatFormerBev bev_;
  FlatFormerHead head_;
};

}  // namespace lidardet
