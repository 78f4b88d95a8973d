// LION3DBackboneOneStride (lion.md §2.3-§2.8): LIONBlocks (a U-Net of window-sorted linear-RNN
// layers), the 3D spatial feature descriptor with voxel generation and merging, and the output
// layer. Module and key names follow the official state_dict (backbone_3d.*).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/layers.hpp"
#include "nn/mamba.hpp"
#include "nn/sparse_conv.hpp"

namespace lidardet {

// One operator block (Mamba or RWKV) over groups of tokens, updating x [P, C] in place.
class SequenceBlock {
 public:
  virtual ~SequenceBlock() = default;
  virtual void forward(nn::Backend& be, const nn::Tensor& x, int64_t group) const = 0;
};

struct LionOperator {
  std::string name;  // Mamba or RWKV
  YAML::Node cfg;
  std::string file;
};

// Two blocks, one per window order ('x' then 'y'), each over equal-size groups.
class LionLayer {
 public:
  LionLayer(nn::WeightLoader& wl, const std::string& prefix, int64_t dim, std::array<int, 3> window,
            int group, const std::vector<std::string>& directions, bool shift,
            const LionOperator& op, int layer_id, int n_layer);
  SparseVoxels forward(nn::Backend& be, const SparseVoxels& x) const;

 private:
  std::array<int, 3> window_;
  int group_;
  bool shift_;
  std::vector<int> directions_;  // 0 = x, 1 = y
  std::vector<std::unique_ptr<SequenceBlock>> blocks_;
};

// Submanifold conv -> LayerNorm -> GELU, optional voxel generation, merge by sum, LayerNorm.
class PatchMerging3D {
 public:
  PatchMerging3D(nn::WeightLoader& wl, const std::string& prefix, int64_t dim,
                 std::array<int, 3> down_xyz, bool diffusion, double diff_scale);
  // `inv` receives, for each input voxel, its parent row in the output.
  SparseVoxels forward(nn::Backend& be, const SparseVoxels& x,
                       std::vector<std::int32_t>* inv) const;

 private:
  nn::SparseConv3d conv_;
  nn::LayerNorm conv_norm_, norm_;
  std::array<int, 3> down_;
  bool diffusion_;
  double diff_scale_;
};

class LionBackbone {
 public:
  // cfg: the whole model config (MODEL.BACKBONE_3D); grid_xyz: voxel grid (X, Y, Z).
  LionBackbone(nn::WeightLoader& wl, const ModelConfig& cfg, std::array<int, 3> grid_xyz);
  ~LionBackbone();
  SparseVoxels forward(nn::Backend& be, SparseVoxels x, const StageRecorder& rec) const;
  int64_t dim() const { return dim_; }

  // The backbone as a chain of named stages (linear_1, dow1, ..., linear_out), for trace and
  // stage-by-stage parity. stage_shape(i) is the (Z, Y, X) shape of stage i's input.
  std::size_t num_stages() const { return names_.size(); }
  const std::string& stage_name(std::size_t i) const { return names_[i]; }
  std::array<int64_t, 3> stage_shape(std::size_t i) const { return shapes_[i]; }
  SparseVoxels run_stage(std::size_t i, nn::Backend& be, SparseVoxels x) const;

 private:
  struct Block;  // a LIONBlock (U-Net)
  int64_t dim_;
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<std::unique_ptr<PatchMerging3D>> downs_;
  std::unique_ptr<LionLayer> out_;
  std::vector<std::string> names_;
  std::vector<std::array<int64_t, 3>> shapes_;
};

// Record of a sparse tensor under `name`.features / `name`.indices.
void record_sparse(const StageRecorder& rec, const std::string& name, const SparseVoxels& x);

}  // namespace lidardet
