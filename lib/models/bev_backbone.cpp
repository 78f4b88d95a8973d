#include "models/bev_backbone.hpp"

#include <cmath>

#include "core/error.hpp"
#include "models/bev_deblock.hpp"

namespace lidardet {

BaseBevBackbone::BaseBevBackbone(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in) {
  const std::string k = "MODEL.BACKBONE_2D.";
  const std::string name = cfg.get_string(k + "NAME");
  if (name != "BaseBEVBackbone" && name != "BaseBEVResBackbone")
    throw Error(cfg.path + ": " + k + "NAME: '" + name +
                "' is not supported (expected BaseBEVBackbone or BaseBEVResBackbone)");
  residual_ = name == "BaseBEVResBackbone";
  auto ints = [&](const char* key) {
    return cfg.as<std::vector<int>>(cfg.require(k + key), k + key);
  };
  const auto nums = ints("LAYER_NUMS"), strides = ints("LAYER_STRIDES"),
             filters = ints("NUM_FILTERS"), upf = ints("NUM_UPSAMPLE_FILTERS");
  const auto ups = cfg.get_doubles(k + "UPSAMPLE_STRIDES");
  const YAML::Node eps_node = cfg.find(k + "BN_EPS");
  const float eps = eps_node ? float(cfg.as<double>(eps_node, k + "BN_EPS")) : 1e-3f;
  if (strides.size() != nums.size() || filters.size() != nums.size() || upf.size() != nums.size() ||
      ups.size() != nums.size())
    throw Error(cfg.path + ": " + k + ": LAYER_NUMS, LAYER_STRIDES, NUM_FILTERS, " +
                "UPSAMPLE_STRIDES and NUM_UPSAMPLE_FILTERS need the same length");
  int64_t cin = in;
  for (std::size_t i = 0; i < nums.size(); ++i) {
    const std::string p = "backbone_2d.blocks." + std::to_string(i) + ".";
    std::vector<BevConv> blk;
    std::vector<ResUnit> res;
    for (int j = 0; residual_ && j <= nums[i]; ++j) {
      const std::string q = p + std::to_string(j) + ".";
      const int64_t ci = j == 0 ? cin : filters[i];
      const int stride = j == 0 ? strides[i] : 1;
      ResUnit u;
      u.conv1 = BevConv::load(wl, q + "conv1.weight", q + "bn1.", ci, filters[i], 3, stride, eps);
      u.conv2 =
          BevConv::load(wl, q + "conv2.weight", q + "bn2.", filters[i], filters[i], 3, 1, eps);
      if (j == 0) {
        u.has_down = true;
        u.down = BevConv::load(wl, q + "downsample_layer.0.weight", q + "downsample_layer.1.", ci,
                               filters[i], 1, stride, eps);
      }
      res.push_back(u);
    }
    res_blocks_.push_back(res);
    // Sequential: ZeroPad2d, Conv2d, BN, ReLU, then (Conv2d, BN, ReLU) x LAYER_NUMS.
    for (int j = 0; !residual_ && j <= nums[i]; ++j) {
      const std::string idx = std::to_string(j == 0 ? 1 : 1 + 3 * j);
      const std::string bn = std::to_string(j == 0 ? 2 : 2 + 3 * j);
      blk.push_back(BevConv::load(wl, p + idx + ".weight", p + bn + ".", j == 0 ? cin : filters[i],
                                  filters[i], 3, j == 0 ? strides[i] : 1, eps));
    }
    blocks_.push_back(blk);
    deblocks_.push_back(BevDeblock::load(wl, "backbone_2d.deblocks." + std::to_string(i) + ".",
                                         filters[i], upf[i], ups[i], eps));
    out_channels_ += upf[i];
    cin = filters[i];
  }
}

nn::Tensor BaseBevBackbone::forward(nn::Backend& be, const nn::Tensor& input,
                                    const StageRecorder& rec) const {
  if (input.dim(0) != 1) throw Error("BaseBEVBackbone: one sample at a time");
  nn::Tensor x = input;
  std::vector<nn::Tensor> ups;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    for (const BevConv& c : blocks_[i]) x = c.forward(be, x, nn::Act::ReLU);
    for (const ResUnit& u : res_blocks_[i]) {
      const nn::Tensor identity = u.has_down ? u.down.forward(be, x) : x;
      nn::Tensor y = u.conv2.forward(be, u.conv1.forward(be, x, nn::Act::ReLU));
      be.binary(nn::BinOp::Add, y, identity, y);
      be.activation(nn::Act::ReLU, y, y);
      x = y;
    }
    if (rec) rec("backbone_2d.blocks." + std::to_string(i), x);
    ups.push_back(deblocks_[i].forward(be, x));
  }
  return concat_levels(be, ups, "BaseBEVBackbone");
}

}  // namespace lidardet
