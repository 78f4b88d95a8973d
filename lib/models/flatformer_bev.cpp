#include "models/flatformer_bev.hpp"

#include <cmath>

#include "core/error.hpp"
#include "models/bev_deblock.hpp"

namespace lidardet {

FlatFormerBev::FlatFormerBev(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in) {
  const std::string k = "MODEL.BACKBONE_2D.", n = "MODEL.NECK.";
  if (const std::string name = cfg.get_string(k + "NAME"); name != "SECOND")
    throw Error(cfg.path + ": " + k + "NAME: '" + name + "' is not supported with FlatFormer " +
                "(expected SECOND)");
  if (const std::string name = cfg.get_string(n + "NAME"); name != "SECONDFPN")
    throw Error(cfg.path + ": " + n + "NAME: '" + name + "' is not supported (expected SECONDFPN)");
  auto ints = [&](const std::string& key) {
    return cfg.as<std::vector<int>>(cfg.require(key), key);
  };
  auto eps_of = [&](const std::string& key) {
    const YAML::Node e = cfg.find(key);
    return e ? float(cfg.as<double>(e, key)) : 1e-3f;
  };
  const auto outs = ints(k + "OUT_CHANNELS"), nums = ints(k + "LAYER_NUMS"),
             strides = ints(k + "LAYER_STRIDES");
  if (nums.size() != outs.size() || strides.size() != outs.size())
    throw Error(cfg.path + ": " + k + "OUT_CHANNELS, LAYER_NUMS and LAYER_STRIDES need the " +
                "same length");
  if (const YAML::Node r = cfg.find(k + "RESIDUAL"); r.IsDefined())
    residual_ = cfg.as<bool>(r, k + "RESIDUAL");
  const float eps = eps_of(k + "BN_EPS");
  int64_t cin = in;
  for (std::size_t s = 0; s < outs.size(); ++s) {
    std::vector<BevConv> units;
    for (int u = 0; u <= nums[s]; ++u) {
      const std::string p = "backbone.blocks." + std::to_string(s) + "." + std::to_string(u) + ".";
      units.push_back(BevConv::load(wl, p + "0.weight", p + "1.", u == 0 ? cin : outs[s], outs[s],
                                    3, u == 0 ? strides[s] : 1, eps));
    }
    blocks_.push_back(units);
    cin = outs[s];
  }
  const auto nin = ints(n + "IN_CHANNELS"), nout = ints(n + "OUT_CHANNELS");
  const auto ups = cfg.get_doubles(n + "UPSAMPLE_STRIDES");
  if (nin.size() != outs.size() || nout.size() != outs.size() || ups.size() != outs.size())
    throw Error(cfg.path + ": " + n + "IN_CHANNELS, OUT_CHANNELS and UPSAMPLE_STRIDES need one " +
                "entry per backbone level (" + std::to_string(outs.size()) + ")");
  const float neps = eps_of(n + "BN_EPS");
  for (std::size_t i = 0; i < nin.size(); ++i) {
    if (nin[i] != outs[i])
      throw Error(cfg.path + ": " + n + "IN_CHANNELS[" + std::to_string(i) + "] is " +
                  std::to_string(nin[i]) + " but backbone level " + std::to_string(i) + " gives " +
                  std::to_string(outs[i]));
    deblocks_.push_back(BevDeblock::load(wl, "neck.deblocks." + std::to_string(i) + ".", nin[i],
                                         nout[i], ups[i], neps));
    out_channels_ += nout[i];
  }
}

nn::Tensor FlatFormerBev::forward(nn::Backend& be, const nn::Tensor& input,
                                  const StageRecorder& rec) const {
  if (input.rank() != 4 || input.dim(0) != 1)
    throw Error("SECOND: expected one [1, C, H, W] map, got " + nn::shape_string(input.shape()));
  nn::Tensor x = input;
  std::vector<nn::Tensor> ups;
  for (std::size_t s = 0; s < blocks_.size(); ++s) {
    for (const BevConv& c : blocks_[s]) {
      nn::Tensor y = c.forward(be, x, nn::Act::ReLU);
      if (residual_ && y.shape() == x.shape()) be.binary(nn::BinOp::Add, y, x, y);
      x = y;
    }
    if (rec) rec("backbone_2d.blocks." + std::to_string(s), x);
    ups.push_back(deblocks_[s].forward(be, x));
  }
  return concat_levels(be, ups, "SECONDFPN");
}

}  // namespace lidardet
