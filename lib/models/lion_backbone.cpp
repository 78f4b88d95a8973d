#include "models/lion_backbone.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "nn/rulebook.hpp"
#include "nn/rwkv.hpp"
#include "window/window_sorter.hpp"

namespace lidardet {
namespace {

using nn::Tensor;

class MambaOp final : public SequenceBlock {
 public:
  MambaOp(nn::WeightLoader& wl, const std::string& p, const nn::MambaConfig& c) : b_(wl, p, c) {}
  void forward(nn::Backend& be, const Tensor& x, int64_t g) const override { b_.forward(be, x, g); }

 private:
  nn::MambaBlock b_;
};

class RwkvOp final : public SequenceBlock {
 public:
  RwkvOp(nn::WeightLoader& wl, const std::string& p, const nn::RwkvConfig& c) : b_(wl, p, c) {}
  void forward(nn::Backend& be, const Tensor& x, int64_t g) const override { b_.forward(be, x, g); }

 private:
  nn::RwkvBlock b_;
};

int cfg_int(const LionOperator& op, const char* key, int fallback) {
  const YAML::Node n = op.cfg ? op.cfg[key] : YAML::Node();
  if (!n) return fallback;
  try {
    return n.as<int>();
  } catch (const YAML::Exception&) {
    throw Error(op.file + ": MODEL.BACKBONE_3D.OPERATOR.CFG." + key + ": expected an integer");
  }
}

std::unique_ptr<SequenceBlock> make_operator(nn::WeightLoader& wl, const std::string& prefix,
                                             int64_t dim, const LionOperator& op, int layer_id) {
  if (op.name == "Mamba") {
    nn::MambaConfig c{dim, cfg_int(op, "d_state", 16), cfg_int(op, "d_conv", 4),
                      cfg_int(op, "expand", 2), 1e-5f};
    return std::make_unique<MambaOp>(wl, prefix, c);
  }
  if (op.name == "RWKV") {
    nn::RwkvConfig c;
    c.d_model = dim;
    c.heads = cfg_int(op, "n_head", 4);
    c.hidden_rate = cfg_int(op, "hidden_rate", 4);
    c.has_ln0 = layer_id == 0;  // the reference adds ln0 to the block with layer id 0 only
    return std::make_unique<RwkvOp>(wl, prefix, c);
  }
  throw Error(op.file + ": MODEL.BACKBONE_3D.OPERATOR.NAME: unknown operator '" + op.name +
              "' (expected Mamba or RWKV)");
}

// Sparse tensor with the same coordinates and new features.
SparseVoxels with_features(const SparseVoxels& x, Tensor f) {
  SparseVoxels y;
  y.coords = x.coords;
  y.shape = x.shape;
  y.batch_size = x.batch_size;
  y.features = std::move(f);
  return y;
}

// PositionEmbeddingLearned: Linear(3, C) -> BatchNorm1d -> ReLU -> Linear(C, C) on the voxel
// position normalised to about [-pi, pi] (the official code's literal 3.1415).
struct PositionEmbedding {
  nn::Linear l0, l3;
  PositionEmbedding(nn::WeightLoader& wl, const std::string& p, int64_t dim) {
    auto [w, b] = wl.take_folded(p + "position_embedding_head.0.weight", {dim, 3},
                                 p + "position_embedding_head.0.bias",
                                 p + "position_embedding_head.1.", 1e-5f);
    l0 = nn::Linear(w, b);
    l3 = nn::Linear(wl, p + "position_embedding_head.3.", dim, dim, true);
  }
  // features + embedding, as a new tensor.
  Tensor add_to(nn::Backend& be, const SparseVoxels& x) const {
    const int64_t M = x.size(), C = x.features.dim(1);
    const float Z = float(x.shape[0]), Y = float(x.shape[1]), X = float(x.shape[2]);
    Tensor pos = Tensor::empty({M, 3});
    float* q = pos.f32();
    // Same float operation order as the reference: ((v - S / 2) / S * 2) * 3.1415.
    auto norm = [](float v, float S) { return (v - S / 2.0f) / S * 2.0f * 3.1415f; };
    for (int64_t i = 0; i < M; ++i) {
      const std::int32_t* c = &x.coords[i * 4];
      q[i * 3 + 0] = norm(float(c[3]), X);
      q[i * 3 + 1] = norm(float(c[2]), Y);
      q[i * 3 + 2] = norm(float(c[1]), Z);
    }
    Tensor dpos = be.alloc({M, 3});
    be.copy(pos, dpos);
    Tensor h = be.alloc({M, C});
    l0.forward(be, dpos, h, nn::Act::ReLU);
    Tensor e = be.alloc({M, C});
    l3.forward(be, h, e);
    Tensor out = be.alloc({M, C});
    be.binary(nn::BinOp::Add, x.features, e, out);
    return out;
  }
};

}  // namespace

void record_sparse(const StageRecorder& rec, const std::string& name, const SparseVoxels& x) {
  if (!rec) return;
  rec(name + ".features", x.features);
  rec(name + ".indices", host_index_tensor(x.coords, 4));
}

// ---- LionLayer ----

LionLayer::LionLayer(nn::WeightLoader& wl, const std::string& prefix, int64_t dim,
                     std::array<int, 3> window, int group,
                     const std::vector<std::string>& directions, bool shift, const LionOperator& op,
                     int layer_id, int n_layer)
    : window_(window), group_(group), shift_(shift) {
  (void)n_layer;
  for (std::size_t i = 0; i < directions.size(); ++i) {
    if (directions[i] != "x" && directions[i] != "y")
      throw Error(op.file + ": MODEL.BACKBONE_3D.DIRECTION: '" + directions[i] +
                  "' (expected x or y)");
    directions_.push_back(directions[i] == "x" ? 0 : 1);
    blocks_.push_back(make_operator(wl, prefix + "blocks." + std::to_string(i) + ".", dim, op,
                                    layer_id + static_cast<int>(i)));
  }
}

SparseVoxels LionLayer::forward(nn::Backend& be, const SparseVoxels& x) const {
  LionWindowConfig wc;
  wc.window = window_;
  wc.grid = {int(x.shape[2]), int(x.shape[1]), int(x.shape[0])};
  wc.group_size = group_;
  wc.shift = shift_;
  const LionOrders orders = lion_orders(x.coords, x.batch_size, wc);
  const int64_t M = x.size(), C = x.features.dim(1);
  Tensor feats = x.features;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const WindowOrder& o = orders.orders[directions_[i]];
    const int64_t P = static_cast<int64_t>(o.gather.size());
    Tensor seq = be.alloc({P, C});
    be.gather_rows(feats, index_tensor(be, o.gather), seq);
    blocks_[i]->forward(be, seq, group_);
    Tensor next = be.alloc({M, C});
    be.gather_rows(seq, index_tensor(be, o.scatter), next);
    feats = next;
  }
  return with_features(x, feats);
}

// ---- PatchMerging3D ----

PatchMerging3D::PatchMerging3D(nn::WeightLoader& wl, const std::string& p, int64_t dim,
                               std::array<int, 3> down_xyz, bool diffusion, double diff_scale)
    : conv_(wl, p + "sub_conv.0.", dim, dim, {3, 3, 3}, false),
      conv_norm_(wl, p + "sub_conv.1.", dim, 1e-5f),
      norm_(wl, p + "norm.", dim, 1e-5f),
      down_(down_xyz),
      diffusion_(diffusion),
      diff_scale_(diff_scale) {}

SparseVoxels PatchMerging3D::forward(nn::Backend& be, const SparseVoxels& x,
                                     std::vector<std::int32_t>* inv_out) const {
  const int64_t M = x.size(), C = x.features.dim(1);
  const auto [Z, Y, X] = x.shape;
  // 3D spatial feature descriptor.
  const nn::Rulebook rb = nn::build_subm_rulebook(be, host_index_tensor(x.coords, 4), {Z, Y, X});
  Tensor a = be.alloc({M, C}), f = be.alloc({M, C});
  conv_.forward(be, x.features, rb, a);
  conv_norm_.forward(be, a, f);
  be.activation(nn::Act::GELU, f, f);

  std::vector<std::int32_t> coords = x.coords;
  Tensor feats = f;
  if (diffusion_) {
    // Voxel generation: the top diff_scale of each sample's voxels by channel mean get four
    // zero-feature diagonal neighbours (clamped into the grid).
    const Tensor hf = be.to_host(f);
    std::vector<float> importance(M);
    for (int64_t i = 0; i < M; ++i) {
      float s = 0;
      for (int64_t c = 0; c < C; ++c) s += hf.f32()[i * C + c];
      importance[i] = s / float(C);
    }
    std::vector<std::int32_t> added;
    for (int b = 0; b < x.batch_size; ++b) {
      std::vector<int64_t> rows;
      for (int64_t i = 0; i < M; ++i)
        if (x.coords[i * 4] == b) rows.push_back(i);
      const auto k = static_cast<int64_t>(double(rows.size()) * diff_scale_);
      if (k == 0) continue;
      std::stable_sort(rows.begin(), rows.end(),
                       [&](int64_t l, int64_t r) { return importance[l] > importance[r]; });
      const int offs[4][2] = {{-1, 1}, {1, 1}, {-1, -1}, {1, -1}};
      for (const auto& o : offs)
        for (int64_t j = 0; j < k; ++j) {
          const std::int32_t* c = &x.coords[rows[j] * 4];
          added.insert(added.end(),
                       {c[0], c[1], std::clamp<std::int32_t>(c[2] + o[1], 0, int32_t(Y - 1)),
                        std::clamp<std::int32_t>(c[3] + o[0], 0, int32_t(X - 1))});
        }
    }
    if (!added.empty()) {
      const int64_t extra = static_cast<int64_t>(added.size() / 4);
      coords.insert(coords.end(), added.begin(), added.end());
      Tensor zeros = Tensor::empty({extra, C});
      Tensor dz = be.alloc({extra, C});
      be.copy(zeros, dz);
      feats = be.alloc({M + extra, C});
      be.concat({f, dz}, 0, feats);
    }
  }
  // Merge children into parents by sum; parents sorted by (b, x, y, z). The radices use floor
  // division like the reference (every config keeps the shapes even).
  const int64_t dx = down_[0], dy = down_[1], dz = down_[2];
  const int64_t Zn = Z / dz, Yn = Y / dy, Xn = X / dx;
  const int64_t N = static_cast<int64_t>(coords.size() / 4);
  std::vector<int64_t> key(N);
  for (int64_t i = 0; i < N; ++i) {
    const std::int32_t* c = &coords[i * 4];
    key[i] = c[0] * (Zn * Yn * Xn) + (c[3] / dx) * (Yn * Zn) + (c[2] / dy) * Zn + c[1] / dz;
  }
  std::vector<int64_t> unq = key;
  std::sort(unq.begin(), unq.end());
  unq.erase(std::unique(unq.begin(), unq.end()), unq.end());
  std::vector<std::int32_t> inv(N);
  for (int64_t i = 0; i < N; ++i)
    inv[i] =
        static_cast<std::int32_t>(std::lower_bound(unq.begin(), unq.end(), key[i]) - unq.begin());
  const int64_t U = static_cast<int64_t>(unq.size());
  SparseVoxels out;
  out.batch_size = x.batch_size;
  out.shape = {(Z + dz - 1) / dz, (Y + dy - 1) / dy, (X + dx - 1) / dx};
  out.coords.resize(U * 4);
  for (int64_t u = 0; u < U; ++u) {
    const int64_t b = unq[u] / (Zn * Yn * Xn);
    int64_t r = unq[u] % (Zn * Yn * Xn);
    const int64_t ux = r / (Yn * Zn);
    r %= Yn * Zn;
    out.coords[u * 4 + 0] = int32_t(b);
    out.coords[u * 4 + 1] = int32_t(r % Zn);
    out.coords[u * 4 + 2] = int32_t(r / Zn);
    out.coords[u * 4 + 3] = int32_t(ux);
  }
  Tensor summed = be.alloc({U, C});
  be.scatter_reduce(feats, index_tensor(be, inv), nn::Reduce::Sum, summed);
  out.features = be.alloc({U, C});
  norm_.forward(be, summed, out.features);
  if (inv_out) inv_out->assign(inv.begin(), inv.begin() + M);
  return out;
}

// ---- LIONBlock and the backbone ----

struct LionBackbone::Block {
  std::vector<PositionEmbedding> pos;
  std::vector<LionLayer> encoder, decoder;
  std::vector<PatchMerging3D> downs;
  std::vector<nn::LayerNorm> decoder_norm;

  SparseVoxels forward(nn::Backend& be, SparseVoxels x) const {
    const std::size_t depth = encoder.size();
    std::vector<SparseVoxels> skips;
    std::vector<std::vector<std::int32_t>> invs(depth);
    for (std::size_t i = 0; i < depth; ++i) {
      x = with_features(x, pos[i].add_to(be, x));
      x = encoder[i].forward(be, x);
      skips.push_back(x);
      x = downs[i].forward(be, x, &invs[i]);
    }
    for (std::size_t i = 0; i < depth; ++i) {
      x = decoder[i].forward(be, x);
      const SparseVoxels& skip = skips[depth - 1 - i];
      const int64_t M = skip.size(), C = skip.features.dim(1);
      Tensor up = be.alloc({M, C});
      be.gather_rows(x.features, index_tensor(be, invs[depth - 1 - i]), up);
      be.binary(nn::BinOp::Add, skip.features, up, up);
      Tensor f = be.alloc({M, C});
      decoder_norm[i].forward(be, up, f);
      x = with_features(skip, f);
    }
    return x;
  }
};

namespace {
std::array<int, 3> int3(const ModelConfig& cfg, const YAML::Node& n, const std::string& key) {
  const auto v = cfg.as<std::vector<int>>(n, key);
  if (v.size() != 3) throw Error(cfg.path + ": " + key + ": expected 3 integers (x, y, z)");
  return {v[0], v[1], v[2]};
}
}  // namespace

LionBackbone::LionBackbone(nn::WeightLoader& wl, const ModelConfig& cfg,
                           std::array<int, 3> grid_xyz) {
  const std::string k = "MODEL.BACKBONE_3D.";
  dim_ = cfg.get_int(k + "FEATURE_DIM");
  const int n = cfg.get_int(k + "NUM_LAYERS");
  const auto depths = cfg.as<std::vector<int>>(cfg.require(k + "DEPTHS"), k + "DEPTHS");
  const auto groups = cfg.as<std::vector<int>>(cfg.require(k + "GROUP_SIZE"), k + "GROUP_SIZE");
  const YAML::Node windows = cfg.require(k + "WINDOW_SHAPE");
  const YAML::Node downs = cfg.require(k + "LAYER_DOWN_SCALES");
  const auto dirs = cfg.get_strings(k + "DIRECTION");
  const bool shift = cfg.as<bool>(cfg.require(k + "SHIFT"), k + "SHIFT");
  const bool diffusion = cfg.as<bool>(cfg.require(k + "DIFFUSION"), k + "DIFFUSION");
  const double diff_scale = cfg.get_double(k + "DIFF_SCALE");
  LionOperator op{cfg.get_string(k + "OPERATOR.NAME"), cfg.find(k + "OPERATOR.CFG"), cfg.path};
  if (int(depths.size()) < n || int(groups.size()) < n || int(windows.size()) < n ||
      int(downs.size()) < n)
    throw Error(cfg.path + ": " + k + "DEPTHS/GROUP_SIZE/WINDOW_SHAPE/LAYER_DOWN_SCALES: need " +
                std::to_string(n) + " entries (NUM_LAYERS)");
  const int per_block = 4 * depths[0];
  const int n_layer = n * per_block + 2;
  const std::string p = "backbone_3d.";
  for (int i = 0; i < n; ++i) {
    const std::string bp = p + "linear_" + std::to_string(i + 1) + ".";
    const std::string wkey = k + "WINDOW_SHAPE[" + std::to_string(i) + "]";
    const auto window = int3(cfg, windows[i], wkey);
    auto blk = std::make_unique<Block>();
    const int depth = depths[i], layer_id = i * per_block;
    for (int d = 0; d < depth; ++d) {
      const bool s = d == 0 ? false : shift;
      const std::string ds = std::to_string(d);
      blk->encoder.emplace_back(wl, bp + "encoder." + ds + ".", dim_, window, groups[i], dirs, s,
                                op, layer_id + 2 * d, n_layer);
      if (!downs[i][d])
        throw Error(cfg.path + ": " + k + "LAYER_DOWN_SCALES[" + std::to_string(i) +
                    "]: needs one entry per depth");
      blk->downs.emplace_back(wl, bp + "downsample_list." + ds + ".", dim_,
                              int3(cfg, downs[i][d], k + "LAYER_DOWN_SCALES"), false, 0.0);
      blk->pos.emplace_back(wl, bp + "pos_emb_list." + ds + ".", dim_);
    }
    for (int d = 0; d < depth; ++d) {
      const bool s = d == 0 ? false : shift;
      const std::string ds = std::to_string(d);
      blk->decoder.emplace_back(wl, bp + "decoder." + ds + ".", dim_, window, groups[i], dirs, s,
                                op, layer_id + 2 * (depth + d), n_layer);
      blk->decoder_norm.emplace_back(wl, bp + "decoder_norm." + ds + ".", dim_, 1e-5f);
    }
    blocks_.push_back(std::move(blk));
    downs_.push_back(std::make_unique<PatchMerging3D>(wl, p + "dow" + std::to_string(i + 1) + ".",
                                                      dim_, std::array<int, 3>{1, 1, 2}, diffusion,
                                                      diff_scale));
  }
  std::array<int64_t, 3> shape{grid_xyz[2], grid_xyz[1], grid_xyz[0]};
  for (int i = 0; i < n; ++i) {
    names_.push_back("linear_" + std::to_string(i + 1));
    shapes_.push_back(shape);
    names_.push_back("dow" + std::to_string(i + 1));
    shapes_.push_back(shape);
    shape[0] = (shape[0] + 1) / 2;  // dow merges pairs of heights
  }
  names_.push_back("linear_out");
  shapes_.push_back(shape);
  out_ = std::make_unique<LionLayer>(
      wl, p + "linear_out.", dim_,
      int3(cfg, cfg.require(k + "OUT_WINDOW_SHAPE"), k + "OUT_WINDOW_SHAPE"),
      cfg.get_int(k + "OUT_GROUP_SIZE"), dirs, shift, op, n * per_block, n_layer);
}

LionBackbone::~LionBackbone() = default;

SparseVoxels LionBackbone::run_stage(std::size_t i, nn::Backend& be, SparseVoxels x) const {
  if (i + 1 == names_.size()) return out_->forward(be, x);
  if (i % 2 == 0) return blocks_[i / 2]->forward(be, std::move(x));
  return downs_[i / 2]->forward(be, x, nullptr);
}

SparseVoxels LionBackbone::forward(nn::Backend& be, SparseVoxels x,
                                   const StageRecorder& rec) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    x = run_stage(i, be, std::move(x));
    record_sparse(rec, "backbone_3d." + names_[i], x);
  }
  return x;
}

}  // namespace lidardet
