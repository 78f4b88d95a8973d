#include "models/dynamic_vfe.hpp"

#include "core/error.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"

namespace lidardet {

DynamicVoxelVfe::DynamicVoxelVfe(nn::WeightLoader& wl, const ModelConfig& cfg,
                                 const VoxelizerConfig& vc)
    : vc_(vc) {
  const auto used = cfg.get_strings("DATA_CONFIG.POINT_FEATURE_ENCODING.used_feature_list");
  const auto filters =
      cfg.as<std::vector<int>>(cfg.require("MODEL.VFE.NUM_FILTERS"), "MODEL.VFE.NUM_FILTERS");
  const YAML::Node eps_node = cfg.find("MODEL.VFE.BN_EPS");
  const float eps = eps_node ? float(cfg.as<double>(eps_node, "MODEL.VFE.BN_EPS")) : 1e-3f;
  if (cfg.find("MODEL.VFE.WITH_DISTANCE") &&
      cfg.as<bool>(cfg.find("MODEL.VFE.WITH_DISTANCE"), "MODEL.VFE.WITH_DISTANCE"))
    throw Error(cfg.path + ": MODEL.VFE.WITH_DISTANCE: True is not supported (expected False)");
  int64_t in = static_cast<int64_t>(used.size()) + 6;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const bool last = i + 1 == filters.size();
    const int64_t out = last ? filters[i] : filters[i] / 2;
    const std::string p = "vfe.pfn_layers." + std::to_string(i) + ".";
    auto [w, b] = wl.take_folded(p + "linear.weight", {out, in}, "", p + "norm.", eps);
    layers_.emplace_back(w, b);
    in = filters[i];
  }
}

SparseVoxels DynamicVoxelVfe::forward(nn::Backend& be, const PointCloud& cloud) const {
  const PointCloudView view = cloud.view();
  const Voxels v = voxelize(std::span<const PointCloudView>(&view, 1), vc_);
  const PointFeatures pf = point_features(std::span<const PointCloudView>(&view, 1), v, vc_);
  const int64_t Np = static_cast<int64_t>(pf.rows), M = static_cast<int64_t>(v.num_voxels());
  if (static_cast<int64_t>(pf.width) != layers_.front().in)
    throw Error("DynamicVoxelVFE: the cloud gives " + std::to_string(pf.width) +
                " features per point, the weights expect " + std::to_string(layers_.front().in) +
                " (check the cloud's channels against " + "used_feature_list)");
  nn::Tensor feats = be.alloc({Np, int64_t(pf.width)});
  be.copy(nn::Tensor::wrap(const_cast<float*>(pf.values.data()), {Np, int64_t(pf.width)},
                           nn::DType::F32),
          feats);
  const nn::Tensor inv = index_tensor(be, v.point_voxel);
  SparseVoxels out;
  out.batch_size = 1;
  out.shape = {vc_.grid[2], vc_.grid[1], vc_.grid[0]};
  out.coords = v.coords;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const int64_t C = layers_[i].w.dim(0);
    nn::Tensor y = be.alloc({Np, C});
    layers_[i].forward(be, feats, y, nn::Act::ReLU);
    nn::Tensor pooled = be.alloc({M, C});
    be.scatter_reduce(y, inv, nn::Reduce::Max, pooled);
    if (i + 1 == layers_.size()) {
      out.features = pooled;
      break;
    }
    nn::Tensor back = be.alloc({Np, C});
    be.gather_rows(pooled, inv, back);
    feats = be.alloc({Np, 2 * C});
    be.concat({y, back}, 1, feats);
  }
  return out;
}

}  // namespace lidardet
