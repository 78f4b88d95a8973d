#include "models/flatformer_model.hpp"

#include "core/error.hpp"
#include "models/sparse_stage_input.hpp"

namespace lidardet {

namespace {

const nn::Tensor& input(const std::map<std::string, nn::Tensor>& in, const std::string& name,
                        const std::string& stage) {
  auto it = in.find(name);
  if (it == in.end()) throw Error("stage " + stage + " needs the input tensor '" + name + "'");
  return it->second;
}

nn::Tensor to_backend(nn::Backend& be, const nn::Tensor& t) {
  nn::Tensor d = be.alloc(t.shape(), t.dtype());
  be.copy(t, d);
  return d;
}

void record_sparse(const StageRecorder& rec, const std::string& prefix, const char* features,
                   const char* coords, const SparseVoxels& x) {
  if (!rec) return;
  rec(prefix + features, x.features);
  rec(prefix + coords, host_index_tensor(x.coords, 4));
}

}  // namespace

bool is_flatformer_config(const ModelConfig& cfg) {
  const YAML::Node m = cfg.find("MODEL.NAME"), b = cfg.find("MODEL.BACKBONE_3D.NAME");
  return (m.IsScalar() && m.as<std::string>() == "FlatFormer") ||
         (b.IsScalar() && b.as<std::string>() == "FlatFormer");
}

FlatFormerModel::FlatFormerModel(nn::WeightLoader& wl, const ModelConfig& cfg)
    : cfg_path_(cfg.path),
      vfe_(wl, cfg),
      encoder_(wl, cfg),
      bev_channels_(cfg.get_int("MODEL.MAP_TO_BEV.NUM_BEV_FEATURES")),
      bev_(wl, cfg, bev_channels_),
      head_(wl, cfg, bev_.out_channels()) {
  for (const auto& [key, want] : {std::pair{"MODEL.VFE.NAME", "DynamicVFE"},
                                  std::pair{"MODEL.BACKBONE_3D.NAME", "FlatFormer"},
                                  std::pair{"MODEL.MAP_TO_BEV.NAME", "PointPillarScatter"}})
    if (const std::string got = cfg.get_string(key); got != want)
      throw Error(cfg.path + ": " + key + ": '" + got + "' is not supported in a FlatFormer " +
                  "model (expected " + want + ")");
  const int64_t vfe_out =
      cfg.as<std::vector<int>>(cfg.require("MODEL.VFE.NUM_FILTERS"), "MODEL.VFE.NUM_FILTERS")
          .back();
  if (vfe_out != encoder_.channels() || bev_channels_ != encoder_.channels())
    throw Error(cfg.path + ": MODEL.VFE.NUM_FILTERS[-1] (" + std::to_string(vfe_out) +
                "), MODEL.BACKBONE_3D.IN_CHANNELS (" + std::to_string(encoder_.channels()) +
                ") and MODEL.MAP_TO_BEV.NUM_BEV_FEATURES (" + std::to_string(bev_channels_) +
                ") must agree");
  const auto& g = vfe_.voxelizer().grid;
  const auto s = encoder_.shape();
  if (g[2] != 1 || g[1] != s[1] || g[0] != s[2])
    throw Error(cfg.path + ": MODEL.BACKBONE_3D.SPARSE_SHAPE (" + std::to_string(s[2]) + ", " +
                std::to_string(s[1]) + ", 1) does not match the pillar grid of " +
                "POINT_CLOUD_RANGE / VOXEL_SIZE (" + std::to_string(g[0]) + ", " +
                std::to_string(g[1]) + ", " + std::to_string(g[2]) + ")");
}

std::vector<std::string> FlatFormerModel::stage_names() const {
  std::vector<std::string> n = {"vfe"};
  for (std::size_t i = 0; i < encoder_.num_blocks(); ++i)
    n.push_back("backbone_3d." + encoder_.block_name(i));
  for (const char* s : {"map_to_bev", "backbone_2d", "dense_head", "post_processing"})
    n.push_back(s);
  return n;
}

FlatFormerModel::State FlatFormerModel::load_state(
    nn::Backend& be, std::size_t i, const std::map<std::string, nn::Tensor>& in) const {
  const auto n = stage_names();
  const std::size_t nb = encoder_.num_blocks();
  const std::string& prev = n.at(i - 1);
  State st;
  if (i <= nb + 1) {  // a block or map_to_bev: pillars in
    const std::string f = prev == "vfe" ? "vfe.voxel_features" : prev + ".features";
    const std::string c = prev == "vfe" ? "vfe.voxel_coords" : prev + ".indices";
    st.sparse = sparse_stage_input(be, n[i], f, input(in, f, n[i]), c, input(in, c, n[i]),
                                   encoder_.shape());
  } else if (prev == "dense_head") {
    for (const auto& name : head_.outputs())
      st.maps[name] = to_backend(be, input(in, "dense_head." + name, n[i]));
  } else {
    const nn::Tensor& t = input(in, prev, n[i]);
    if (t.rank() != 4 || t.dim(0) != 1 || t.dtype() != nn::DType::F32)
      throw Error("stage " + n[i] + ": expected " + prev + " as [1, C, H, W] f32, got " +
                  nn::shape_string(t.shape()));
    st.dense = to_backend(be, t);
  }
  return st;
}

void FlatFormerModel::run_stage(nn::Backend& be, std::size_t i, const PointCloud* cloud, State& st,
                                const StageRecorder& rec) const {
  const std::size_t nb = encoder_.num_blocks();
  if (i == 0) {
    if (!cloud) throw Error("stage vfe needs a point cloud");
    st.sparse = vfe_.forward(be, *cloud);
    st.frame.reset();
    record_sparse(rec, "vfe.", "voxel_features", "voxel_coords", st.sparse);
  } else if (i <= nb) {
    if (!st.frame) st.frame = encoder_.prepare(be, st.sparse);
    st.sparse = encoder_.run_block(i - 1, be, *st.frame, std::move(st.sparse));
    record_sparse(rec, "backbone_3d." + encoder_.block_name(i - 1) + ".", "features", "indices",
                  st.sparse);
  } else if (i == nb + 1) {
    const SparseVoxels& x = st.sparse;
    if (x.features.dim(1) != bev_channels_)
      throw Error("map_to_bev: the pillars have " + std::to_string(x.features.dim(1)) +
                  " channels, MODEL.MAP_TO_BEV.NUM_BEV_FEATURES is " +
                  std::to_string(bev_channels_));
    st.dense = be.alloc({1, bev_channels_, x.shape[1], x.shape[2]});
    be.sparse_to_dense(x.features, index_tensor(be, x.coords, 4), st.dense);
    if (rec) rec("map_to_bev", st.dense);
  } else if (i == nb + 2) {
    st.dense = bev_.forward(be, st.dense, rec);
    if (rec) rec("backbone_2d", st.dense);
  } else if (i == nb + 3) {
    st.maps = head_.forward(be, st.dense);
    if (rec)
      for (const auto& [name, t] : st.maps) rec("dense_head." + name, t);
  } else {
    std::map<std::string, nn::Tensor> host;
    for (const auto& [name, t] : st.maps) host[name] = be.to_host(t);
    st.boxes = head_.post_process(host).boxes;
  }
}

}  // namespace lidardet
