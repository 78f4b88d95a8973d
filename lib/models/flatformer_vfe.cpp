#include "models/flatformer_vfe.hpp"

#include <cmath>

#include "core/error.hpp"
#include "models/pfn_layers.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"

namespace lidardet {

namespace {
bool flag(const ModelConfig& cfg, const std::string& key, bool fallback) {
  const YAML::Node n = cfg.find(key);
  return n.IsDefined() && !n.IsNull() ? cfg.as<bool>(n, key) : fallback;
}
}  // namespace

VoxelizerConfig flatformer_voxelizer_config(const ModelConfig& cfg) {
  VoxelizerConfig vc = VoxelizerConfig::from_model_yaml(cfg.root, cfg.path);
  if (!flag(cfg, "MODEL.VFE.CLAMP_COORDS", true))
    throw Error(cfg.path + ": MODEL.VFE.CLAMP_COORDS: False is not supported (expected True, " +
                "the FlatFormer fork's voxelizer)");
  vc.rule = RangeRule::kStrictClamp;
  vc.order = VoxelOrder::kZYX;
  if (cfg.find("DATA_CONFIG.POINT_RANGE_FILTER").IsDefined()) {
    const auto f = cfg.get_doubles("DATA_CONFIG.POINT_RANGE_FILTER", 6);
    for (int i = 0; i < 6; ++i) vc.filter_range[i] = float(f[i]);
  }
  // DATA_CONFIG.TANH_ON_FEATURES belongs to the data pipeline, not the model (as for LION and
  // the reference): the Detector takes points with it applied (waymo::model_input_cloud).
  return vc;
}

float round_to_half(float x) {
  if (!std::isfinite(x) || x == 0.f) return x;
  const float a = std::fabs(x);
  if (a >= 65520.f) return std::copysign(INFINITY, x);  // past the largest half, 65504
  float q;                                              // spacing of halves near a
  if (a < 6.103515625e-05f) {
    q = 5.9604644775390625e-08f;  // subnormal halves: 2^-24 apart
  } else {
    int e = 0;
    std::frexp(a, &e);            // a = m 2^e, m in [0.5, 1)
    q = std::ldexp(1.f, e - 11);  // 11 significant bits
  }
  return std::copysign(std::nearbyint(a / q) * q, x);  // exact scaling; rint ties to even
}

FlatFormerVfe::FlatFormerVfe(nn::WeightLoader& wl, const ModelConfig& cfg)
    : vc_(flatformer_voxelizer_config(cfg)) {
  const std::string k = "MODEL.VFE.";
  if (const std::string mode =
          cfg.find(k + "MODE").IsDefined() ? cfg.get_string(k + "MODE") : "max";
      mode != "max")
    throw Error(cfg.path + ": " + k + "MODE: '" + mode + "' is not supported (expected max)");
  if (vc_.with_distance)
    throw Error(cfg.path + ": " + k + "WITH_DISTANCE: True is not supported (expected False)");
  fp16_points_ = flag(cfg, "DATA_CONFIG.FP16_POINTS", false);
  const auto used = cfg.get_strings("DATA_CONFIG.POINT_FEATURE_ENCODING.used_feature_list");
  const auto filters = cfg.as<std::vector<int>>(cfg.require(k + "NUM_FILTERS"), k + "NUM_FILTERS");
  if (filters.empty()) throw Error(cfg.path + ": " + k + "NUM_FILTERS: expected at least one");
  const YAML::Node eps_node = cfg.find(k + "BN_EPS");
  const float eps = eps_node ? float(cfg.as<double>(eps_node, k + "BN_EPS")) : 1e-3f;
  int64_t in = int64_t(used.size()) + 3 * vc_.with_cluster_center + 3 * vc_.with_voxel_center;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const std::string p = "voxel_encoder.vfe_layers." + std::to_string(i) + ".";
    auto [w, b] = wl.take_folded(p + "linear.weight", {filters[i], in}, "", p + "norm.", eps);
    layers_.emplace_back(w, b);
    in = 2 * int64_t(filters[i]);  // [own | pillar max]
  }
}

SparseVoxels FlatFormerVfe::forward(nn::Backend& be, const PointCloud& cloud) const {
  // The official pipeline applies tanh while loading (the caller's part), then casts the
  // points to FP16 inside the model.
  PointCloud rounded;
  const PointCloud* src = &cloud;
  const VoxelizerConfig& vc = vc_;
  if (fp16_points_) {
    rounded = cloud;
    float* d = rounded.data();
    for (std::size_t i = 0; i < rounded.size() * rounded.num_channels(); ++i)
      d[i] = round_to_half(d[i]);
    src = &rounded;
  }
  const PointCloudView view = src->view();
  const std::span<const PointCloudView> views(&view, 1);
  const Voxels v = voxelize(views, vc);
  const PointFeatures pf = point_features(views, v, vc);
  const int64_t M = int64_t(v.num_voxels());
  if (int64_t(pf.width) != layers_.front().w.dim(1))
    throw Error("DynamicVFE: the cloud gives " + std::to_string(pf.width) +
                " features per point, the weights expect " +
                std::to_string(layers_.front().w.dim(1)) +
                " (check the cloud's channels against used_feature_list)");
  SparseVoxels out;
  out.batch_size = 1;
  out.shape = {vc_.grid[2], vc_.grid[1], vc_.grid[0]};
  out.coords = v.coords;
  if (M == 0) {
    out.features = be.alloc({0, layers_.back().w.dim(0)});
    return out;
  }
  out.features = pfn_voxel_features(be, layers_, pf, v);
  return out;
}

}  // namespace lidardet
