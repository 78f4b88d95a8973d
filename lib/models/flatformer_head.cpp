#include "models/flatformer_head.hpp"

#include "core/error.hpp"

namespace lidardet {

FlatFormerHead::FlatFormerHead(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in)
    : s_(center_head_settings(cfg)) {
  const std::string k = "MODEL.DENSE_HEAD.";
  if (s_.family != CenterHeadSettings::Family::MMDet3D)
    throw Error(cfg.path + ": " + k + "NAME: FlatFormer needs CenterHeadMMDet3D");
  if (cfg.require(k + "TASKS").size() != 1)
    throw Error(cfg.path + ": " + k + "TASKS: only one task is supported");
  if (const YAML::Node n = cfg.find(k + "NORM_BBOX"); n.IsDefined() && !cfg.as<bool>(n, k))
    throw Error(cfg.path + ": " + k + "NORM_BBOX: False is not supported (expected True)");
  auto eps_of = [&](const std::string& key, float fallback) {
    const YAML::Node e = cfg.find(key);
    return e ? float(cfg.as<double>(e, key)) : fallback;
  };
  const float shared_eps = eps_of(k + "SHARED_BN_EPS", 1e-3f);
  const float sep_eps = eps_of(k + "SEPARATE_BN_EPS", 1e-5f);
  if (const YAML::Node f = cfg.find(k + "FINAL_KERNEL"); f.IsDefined())
    final_kernel_ = cfg.as<int>(f, k + "FINAL_KERNEL");
  if (final_kernel_ < 1 || final_kernel_ % 2 == 0)
    throw Error(cfg.path + ": " + k + "FINAL_KERNEL: expected an odd size >= 1");
  const int64_t ch = cfg.get_int(k + "SHARED_CONV_CHANNEL");
  std::tie(shared_.w, shared_.b) =
      wl.take_folded("bbox_head.shared_conv.conv.weight", {ch, in, 3, 3}, "",
                     "bbox_head.shared_conv.bn.", shared_eps);
  std::vector<Conv> stacked;
  std::vector<std::pair<std::string, std::pair<int64_t, int>>> heads;
  for (const auto& n : cfg.get_strings(k + "HEAD_ORDER")) {
    const std::string hk = k + "COMMON_HEADS." + n;
    heads.push_back({n, {cfg.get_int(hk + ".out_channels"), cfg.get_int(hk + ".num_conv")}});
  }
  heads.push_back({"heatmap", {int64_t(s_.class_names.size()), 2}});
  for (const auto& [name, oc] : heads) {
    if (oc.second < 1) throw Error(cfg.path + ": " + k + "COMMON_HEADS." + name + ".num_conv < 1");
    const std::string p = "bbox_head.task_heads.0." + name + ".";
    std::vector<Conv> convs;
    for (int i = 0; i + 1 < oc.second; ++i) {
      Conv c;
      const std::string q = p + std::to_string(i) + ".";
      std::tie(c.w, c.b) =
          wl.take_folded(q + "conv.weight", {ch, ch, 3, 3}, "", q + "bn.", sep_eps);
      convs.push_back(c);
    }
    Conv last;
    last.relu = false;
    const std::string q = p + std::to_string(oc.second - 1) + ".";
    last.w = wl.take(q + "weight", {oc.first, ch, final_kernel_, final_kernel_});
    last.b = wl.take(q + "bias", {oc.first});
    convs.push_back(last);
    order_.push_back(name);
    first_slot_[name] = -1;
    if (convs.size() > 1) {
      first_slot_[name] = int(stacked.size());
      stacked.push_back(convs.front());
      convs.erase(convs.begin());
    }
    heads_[name] = convs;
  }
  if (!stacked.empty()) {
    // Stack [ch, ch, 3, 3] weights along the output dim; BN already folded into each.
    const int64_t per = ch * ch * 9, n = int64_t(stacked.size());
    nn::Tensor w = nn::Tensor::empty({n * ch, ch, 3, 3}), b = nn::Tensor::empty({n * ch});
    for (int64_t i = 0; i < n; ++i) {
      const nn::Tensor hw = wl.backend().to_host(stacked[i].w);
      const nn::Tensor hb = wl.backend().to_host(stacked[i].b);
      std::copy(hw.f32(), hw.f32() + per, w.f32() + i * per);
      std::copy(hb.f32(), hb.f32() + ch, b.f32() + i * ch);
    }
    first_.w = wl.backend().upload(w);
    first_.b = wl.backend().upload(b);
  }
  for (const char* need : {"reg", "height", "dim", "rot"})
    if (!heads_.count(need))
      throw Error(cfg.path + ": " + k + "HEAD_ORDER: the decoder needs '" + need + "'");
  if (const YAML::Node l = cfg.find("MODEL.POST_PROCESSING.POST_CENTER_LIMIT_RANGE");
      l.IsDefined()) {
    const auto v = cfg.get_doubles("MODEL.POST_PROCESSING.POST_CENTER_LIMIT_RANGE", 6);
    std::copy(v.begin(), v.end(), limit_);
    has_limit_ = true;
  }
}

std::map<std::string, nn::Tensor> FlatFormerHead::forward(nn::Backend& be,
                                                          const nn::Tensor& x) const {
  const int64_t H = x.dim(2), W = x.dim(3);
  nn::Tensor s = be.alloc({1, shared_.w.dim(0), H, W});
  be.conv2d(x, shared_.w, shared_.b, 1, 1, s, nn::Act::ReLU);
  std::map<std::string, nn::Tensor> out;
  nn::Tensor first;
  const int64_t ch = shared_.w.dim(0);
  if (first_.w.defined()) {
    first = be.alloc({first_.w.dim(0), H * W});
    be.conv2d(s, first_.w, first_.b, 1, 1, first.reshape({1, first_.w.dim(0), H, W}),
              nn::Act::ReLU);
  }
  for (const auto& name : order_) {
    const int slot = first_slot_.at(name);
    nn::Tensor y = slot < 0 ? s : first.slice(0, slot * ch, (slot + 1) * ch).reshape({1, ch, H, W});
    for (const Conv& c : heads_.at(name)) {
      nn::Tensor z = be.alloc({1, c.w.dim(0), H, W});
      be.conv2d(y, c.w, c.b, 1, int(c.w.dim(2) / 2), z, c.relu ? nn::Act::ReLU : nn::Act::Identity);
      y = z;
    }
    out[name] = y;
  }
  return out;
}

DecodedBoxes FlatFormerHead::post_process(const std::map<std::string, nn::Tensor>& maps) const {
  auto fm = [&](const char* name) {
    auto it = maps.find(name);
    if (it == maps.end()) return FeatureMap{};
    const nn::Tensor& h = it->second;
    if (h.rank() != 4 || h.dim(0) != 1)
      throw Error(std::string("CenterHead: output '") + name + "' must be [1, C, H, W], got " +
                  nn::shape_string(h.shape()));
    return FeatureMap{h.f32(), int(h.dim(1)), int(h.dim(2)), int(h.dim(3))};
  };
  const CenterHeadOutputs outs{fm("heatmap"), fm("reg"), fm("height"),
                               fm("dim"),     fm("rot"), fm("iou")};
  DecodedBoxes kept = center_head_post_process(s_, decode_center_head(s_, outs));
  if (!has_limit_) return kept;
  DecodedBoxes out;
  for (std::size_t i = 0; i < kept.boxes.size(); ++i) {
    const Box3D& b = kept.boxes[i];
    if (b.x < limit_[0] || b.y < limit_[1] || b.z < limit_[2] || b.x > limit_[3] ||
        b.y > limit_[4] || b.z > limit_[5])
      continue;
    out.boxes.push_back(b);
    out.scores.push_back(kept.scores[i]);
    out.labels.push_back(kept.labels[i]);
  }
  return out;
}

}  // namespace lidardet
