#include "models/center_head.hpp"

#include "core/error.hpp"

namespace lidardet {

CenterHead::CenterHead(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in, bool corrected_nms)
    : s_(center_head_settings(cfg, corrected_nms)) {
  const std::string k = "MODEL.DENSE_HEAD.";
  if (cfg.require(k + "CLASS_NAMES_EACH_HEAD").size() != 1)
    throw Error(cfg.path + ": " + k + "CLASS_NAMES_EACH_HEAD: only one head is supported");
  const YAML::Node eps_node = cfg.find(k + "BN_EPS");
  const float eps = eps_node ? float(cfg.as<double>(eps_node, k + "BN_EPS")) : 1e-5f;
  const bool bias = cfg.find(k + "USE_BIAS_BEFORE_NORM") &&
                    cfg.as<bool>(cfg.find(k + "USE_BIAS_BEFORE_NORM"), k + "USE_BIAS_BEFORE_NORM");
  const int64_t ch = cfg.get_int(k + "SHARED_CONV_CHANNEL");
  std::tie(shared_.w, shared_.b) =
      wl.take_folded("dense_head.shared_conv.0.weight", {ch, in, 3, 3},
                     bias ? "dense_head.shared_conv.0.bias" : "", "dense_head.shared_conv.1.", eps);
  std::vector<std::pair<std::string, std::pair<int64_t, int>>> heads;
  for (const auto& n : cfg.get_strings(k + "SEPARATE_HEAD_CFG.HEAD_ORDER")) {
    const std::string hk = k + "SEPARATE_HEAD_CFG.HEAD_DICT." + n;
    heads.push_back({n, {cfg.get_int(hk + ".out_channels"), cfg.get_int(hk + ".num_conv")}});
  }
  const YAML::Node hm_conv = cfg.find(k + "NUM_HM_CONV");
  heads.push_back(
      {"hm",
       {int64_t(s_.class_names.size()), hm_conv ? cfg.as<int>(hm_conv, k + "NUM_HM_CONV") : 2}});
  for (const auto& [name, oc] : heads) {
    const std::string p = "dense_head.heads_list.0." + name + ".";
    std::vector<Conv> convs;
    for (int i = 0; i + 1 < oc.second; ++i) {
      Conv c;
      const std::string q = p + std::to_string(i) + ".";
      std::tie(c.w, c.b) =
          wl.take_folded(q + "0.weight", {ch, ch, 3, 3}, bias ? q + "0.bias" : "", q + "1.", eps);
      convs.push_back(c);
    }
    Conv last;
    last.relu = false;
    const std::string q = p + std::to_string(oc.second - 1) + ".";
    last.w = wl.take(q + "weight", {oc.first, ch, 3, 3});
    last.b = wl.take(q + "bias", {oc.first});
    convs.push_back(last);
    order_.push_back(name);
    heads_[name] = convs;
  }
}

std::map<std::string, nn::Tensor> CenterHead::forward(nn::Backend& be, const nn::Tensor& x) const {
  const int64_t H = x.dim(2), W = x.dim(3);
  nn::Tensor s = be.alloc({1, shared_.w.dim(0), H, W});
  be.conv2d(x, shared_.w, shared_.b, 1, 1, s, nn::Act::ReLU);
  std::map<std::string, nn::Tensor> out;
  for (const auto& name : order_) {
    nn::Tensor y = s;
    for (const Conv& c : heads_.at(name)) {
      nn::Tensor z = be.alloc({1, c.w.dim(0), H, W});
      be.conv2d(y, c.w, c.b, 1, 1, z, c.relu ? nn::Act::ReLU : nn::Act::Identity);
      y = z;
    }
    out[name] = y;
  }
  return out;
}

}  // namespace lidardet
