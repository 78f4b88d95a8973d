#include "models/flatformer_encoder.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lidardet {

std::vector<float> flatformer_position_embedding(const std::vector<std::int32_t>& coords,
                                                 int64_t channels, float temperature) {
  const int64_t half = channels / 2, M = int64_t(coords.size() / 4);
  // Divisors T^(2 floor(i/2) / half) in float; pairs (2j, 2j+1) share one (sin, cos).
  std::vector<float> dim(half);
  for (int64_t i = 0; i < half; ++i)
    dim[i] = std::pow(temperature, float(2 * (i / 2)) / float(half));
  std::vector<float> pe(std::size_t(M * channels), 0.f);
  for (int64_t r = 0; r < M; ++r) {
    float* out = &pe[r * channels];
    for (int axis = 0; axis < 2; ++axis) {  // x (column 3) then y (column 2)
      const float v = float(coords[r * 4 + 3 - axis]);
      for (int64_t i = 0; i < half; ++i) {
        const float a = v / dim[i];
        out[axis * half + i] = i % 2 == 0 ? std::sin(a) : std::cos(a);
      }
    }
  }
  return pe;
}

FlatFormerEncoder::FlatFormerEncoder(nn::WeightLoader& wl, const ModelConfig& cfg) {
  const std::string k = "MODEL.BACKBONE_3D.";
  const YAML::Node node = cfg.require("MODEL.BACKBONE_3D");
  window_ = FlatWindowConfig::from_yaml(node, cfg.path);
  if (window_.window[0] != window_.window[1])
    throw Error(cfg.path + ": " + k + "WINDOW_SHAPE: FlatFormer's sort keys need a square " +
                "window in x and y");
  channels_ = cfg.get_int(k + "IN_CHANNELS");
  const int heads = cfg.get_int(k + "NUM_HEADS");
  const int nblocks = cfg.get_int(k + "NUM_BLOCKS");
  const int nlayers = cfg.get_int(k + "LAYERS_PER_BLOCK");
  const int64_t ffn = cfg.get_int(k + "FFN_DIM");
  if (channels_ < 2 || channels_ % 4)
    throw Error(cfg.path + ": " + k + "IN_CHANNELS: " + std::to_string(channels_) +
                " (the position embedding needs a multiple of 4)");
  if (nblocks < 1 || nlayers < 1)
    throw Error(cfg.path + ": " + k + "NUM_BLOCKS and LAYERS_PER_BLOCK must be >= 1");
  if (const YAML::Node t = cfg.find(k + "POS_TEMPERATURE"); t.IsDefined())
    temperature_ = float(cfg.as<double>(t, k + "POS_TEMPERATURE"));
  if (const YAML::Node n = cfg.find(k + "NORMALIZE_POS");
      n.IsDefined() && cfg.as<bool>(n, k + "NORMALIZE_POS"))
    throw Error(cfg.path + ": " + k + "NORMALIZE_POS: True is not supported (expected False)");
  if (const YAML::Node a = cfg.find(k + "ACTIVATION");
      a.IsDefined() && cfg.as<std::string>(a, k + "ACTIVATION") != "gelu")
    throw Error(cfg.path + ": " + k + "ACTIVATION: only gelu is supported");
  const auto orders = cfg.get_strings(k + "ORDERS");
  if (orders.empty()) throw Error(cfg.path + ": " + k + "ORDERS: expected at least one order");
  for (int l = 0; l < nlayers; ++l) {
    const std::string& o = orders[l % orders.size()];
    const int idx = o == "x" ? 0 : o == "x_shift" ? 1 : o == "y" ? 2 : o == "y_shift" ? 3 : -1;
    if (idx < 0)
      throw Error(cfg.path + ": " + k + "ORDERS: '" + o + "' (expected x, x_shift, y or y_shift)");
    layer_order_.push_back(idx);
  }
  const nn::AttentionConfig ac{channels_, heads, ffn, 1e-5f};
  for (int b = 0; b < nblocks; ++b) {
    std::vector<nn::AttentionLayer> layers;
    for (int l = 0; l < nlayers; ++l)
      layers.emplace_back(
          wl,
          "middle_encoder.block_list." + std::to_string(b) + ".block." + std::to_string(l) + ".",
          ac);
    blocks_.push_back(std::move(layers));
  }
}

std::shared_ptr<FlatFormerFrame> FlatFormerEncoder::prepare(nn::Backend& be,
                                                            const SparseVoxels& x) const {
  auto f = std::make_shared<FlatFormerFrame>();
  const int64_t M = x.size(), C = channels_;
  for (int64_t r = 0; r < M; ++r) {
    const std::int32_t* c = &x.coords[r * 4];
    if (c[1] != 0 || c[2] < 0 || c[2] >= window_.grid[1] || c[3] < 0 || c[3] >= window_.grid[0])
      throw Error("FlatFormer: pillar " + std::to_string(r) + " at (z, y, x) = (" +
                  std::to_string(c[1]) + ", " + std::to_string(c[2]) + ", " + std::to_string(c[3]) +
                  ") is outside SPARSE_SHAPE (" + std::to_string(window_.grid[0]) + ", " +
                  std::to_string(window_.grid[1]) + ", 1)");
  }
  if (M == 0) return f;  // the blocks pass an empty set through
  WindowScratch scratch;
  flatformer_orders_into(f->orders, scratch, x.coords, x.batch_size, window_);
  std::vector<float> pe = flatformer_position_embedding(x.coords, C, temperature_);
  nn::Tensor pe_dev = be.alloc({M, C});
  be.copy(nn::Tensor::wrap(pe.data(), {M, C}, nn::DType::F32), pe_dev);
  for (int o = 0; o < 4; ++o) {
    const WindowOrder& w = f->orders.orders[o];
    f->gather[o] = index_tensor(be, w.gather);
    f->scatter[o] = index_tensor(be, w.scatter);
    f->pe[o] = be.alloc({int64_t(w.gather.size()), C});
    if (M) be.gather_rows(pe_dev, f->gather[o], f->pe[o]);
  }
  return f;
}

SparseVoxels FlatFormerEncoder::run_block(std::size_t i, nn::Backend& be,
                                          const FlatFormerFrame& frame, SparseVoxels x) const {
  const int64_t M = x.size(), C = channels_;
  if (x.features.rank() != 2 || x.features.dim(0) != M || x.features.dim(1) != C)
    throw Error("FlatFormer block " + std::to_string(i) + ": expected features [" +
                std::to_string(M) + ", " + std::to_string(C) + "], got " +
                nn::shape_string(x.features.shape()));
  if (M == 0) return x;
  const int64_t G = window_.group_size;
  nn::Tensor feats = x.features;
  for (std::size_t l = 0; l < blocks_.at(i).size(); ++l) {
    const int o = layer_order_[l];
    const int64_t P = frame.pe[o].dim(0);
    nn::Tensor seq = be.alloc({P, C});
    be.gather_rows(feats, frame.gather[o], seq);
    blocks_[i][l].forward(be, seq, frame.pe[o], G);
    // Each pillar reads back its own slot; padding copies are dropped.
    nn::Tensor next = be.alloc({M, C});
    be.gather_rows(seq, frame.scatter[o], next);
    feats = next;
  }
  x.features = feats;
  return x;
}

}  // namespace lidardet
