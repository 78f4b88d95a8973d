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
    std::vector<Conv> blk;
    std::vector<ResUnit> res;
    for (int j = 0; residual_ && j <= nums[i]; ++j) {
      const std::string q = p + std::to_string(j) + ".";
      const int64_t ci = j == 0 ? cin : filters[i];
      ResUnit u;
      u.conv1.out = u.conv2.out = filters[i];
      u.conv1.stride = j == 0 ? strides[i] : 1;
      std::tie(u.conv1.w, u.conv1.b) =
          wl.take_folded(q + "conv1.weight", {filters[i], ci, 3, 3}, "", q + "bn1.", eps);
      std::tie(u.conv2.w, u.conv2.b) =
          wl.take_folded(q + "conv2.weight", {filters[i], filters[i], 3, 3}, "", q + "bn2.", eps);
      if (j == 0) {
        u.has_down = true;
        u.down.out = filters[i];
        u.down.stride = strides[i];
        std::tie(u.down.w, u.down.b) =
            wl.take_folded(q + "downsample_layer.0.weight", {filters[i], ci, 1, 1}, "",
                           q + "downsample_layer.1.", eps);
      }
      res.push_back(u);
    }
    res_blocks_.push_back(res);
    // Sequential: ZeroPad2d, Conv2d, BN, ReLU, then (Conv2d, BN, ReLU) x LAYER_NUMS.
    for (int j = 0; !residual_ && j <= nums[i]; ++j) {
      const int idx = j == 0 ? 1 : 1 + 3 * j;
      const int64_t ci = j == 0 ? cin : filters[i];
      Conv c;
      c.out = filters[i];
      c.stride = j == 0 ? strides[i] : 1;
      std::tie(c.w, c.b) = wl.take_folded(p + std::to_string(idx) + ".weight", {c.out, ci, 3, 3},
                                          "", p + std::to_string(idx + 1) + ".", eps);
      blk.push_back(c);
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
    for (const Conv& c : blocks_[i]) {
      const int64_t H = (x.dim(2) + 2 - 3) / c.stride + 1, W = (x.dim(3) + 2 - 3) / c.stride + 1;
      nn::Tensor y = be.alloc({1, c.out, H, W});
      be.conv2d(x, c.w, c.b, c.stride, 1, y, nn::Act::ReLU);
      x = y;
    }
    for (const ResUnit& u : res_blocks_[i]) {
      const int64_t H = (x.dim(2) + 2 - 3) / u.conv1.stride + 1;
      const int64_t W = (x.dim(3) + 2 - 3) / u.conv1.stride + 1;
      nn::Tensor identity = x;
      if (u.has_down) {
        identity = be.alloc({1, u.down.out, H, W});
        be.conv2d(x, u.down.w, u.down.b, u.down.stride, 0, identity);
      }
      nn::Tensor a = be.alloc({1, u.conv1.out, H, W});
      be.conv2d(x, u.conv1.w, u.conv1.b, u.conv1.stride, 1, a, nn::Act::ReLU);
      nn::Tensor b = be.alloc({1, u.conv2.out, H, W});
      be.conv2d(a, u.conv2.w, u.conv2.b, 1, 1, b);
      be.binary(nn::BinOp::Add, b, identity, b);
      be.activation(nn::Act::ReLU, b, b);
      x = b;
    }
    if (rec) rec("backbone_2d.blocks." + std::to_string(i), x);
    ups.push_back(deblocks_[i].forward(be, x));
  }
  return concat_levels(be, ups, "BaseBEVBackbone");
}

}  // namespace lidardet
