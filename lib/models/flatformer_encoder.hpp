// FlatFormer's middle encoder (flatformer.md §4): NUM_BLOCKS blocks of LAYERS_PER_BLOCK post-norm
// attention layers over flattened windows. Layer l sorts the pillars in order ORDERS[l % 4]
// (x, x_shift, y, y_shift: window-major snakes), cuts each sample's sorted run into equal groups
// of GROUP_SIZE (the last group is the sample's last G tokens) and attends within each group,
// with the absolute sinusoidal position of the pillar added to queries and keys.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"
#include "nn/attention.hpp"
#include "window/window_sorter.hpp"

namespace lidardet {

// Sinusoidal embedding of integer grid indices (flatformer.md §4.2), rows [M, channels]:
// channels [0, C/2) encode x, [C/2, C) encode y; pe[2j] = sin(v / T^(2j / (C/2))),
// pe[2j+1] = cos(the same), computed in float as the reference does. coords rows (b, z, y, x).
std::vector<float> flatformer_position_embedding(const std::vector<std::int32_t>& coords,
                                                 int64_t channels, float temperature);

// What every layer of one frame shares: the four window orders and each order's position
// embedding gathered into padded-slot order ("sort reuse").
struct FlatFormerFrame {
  FlatFormerOrders orders;
  std::array<nn::Tensor, 4> pe;       // [P, C] per order
  std::array<nn::Tensor, 4> gather;   // I32 [P]: padded slot -> pillar
  std::array<nn::Tensor, 4> scatter;  // I32 [M]: pillar -> its padded slot
};

class FlatFormerEncoder {
 public:
  FlatFormerEncoder(nn::WeightLoader& wl, const ModelConfig& cfg);
  std::size_t num_blocks() const { return blocks_.size(); }
  // "block_list.<i>"
  std::string block_name(std::size_t i) const { return "block_list." + std::to_string(i); }
  // Orders and embeddings of the pillars of `x` (validated against SPARSE_SHAPE).
  std::shared_ptr<FlatFormerFrame> prepare(nn::Backend& be, const SparseVoxels& x) const;
  // Block i on x's features (the coordinates stay).
  SparseVoxels run_block(std::size_t i, nn::Backend& be, const FlatFormerFrame& frame,
                         SparseVoxels x) const;
  // Z, Y, X of the sparse grid.
  std::array<int64_t, 3> shape() const { return {1, window_.grid[1], window_.grid[0]}; }
  int64_t channels() const { return channels_; }

 private:
  FlatWindowConfig window_;
  int64_t channels_ = 0;
  float temperature_ = 10000.f;
  std::vector<int> layer_order_;  // FlatOrder index per layer within a block
  std::vector<std::vector<nn::AttentionLayer>> blocks_;
};

}  // namespace lidardet
