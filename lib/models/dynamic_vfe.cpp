#include "models/dynamic_vfe.hpp"

#include "core/error.hpp"
#include "models/pfn_layers.hpp"
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
  if (static_cast<int64_t>(pf.width) != layers_.front().in)
    throw Error("DynamicVoxelVFE: the cloud gives " + std::to_string(pf.width) +
                " features per point, the weights expect " + std::to_string(layers_.front().in) +
                " (check the cloud's channels against " + "used_feature_list)");
  SparseVoxels out;
  out.batch_size = 1;
  out.shape = {vc_.grid[2], vc_.grid[1], vc_.grid[0]};
  out.coords = v.coords;
  out.features = pfn_voxel_features(be, layers_, pf, v);
  return out;
}

}  // namespace lidardet
