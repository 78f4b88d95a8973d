#include "models/anchor_head.hpp"

#include "core/error.hpp"

namespace lidardet {

AnchorHead::AnchorHead(nn::WeightLoader& wl, const ModelConfig& cfg, int64_t in)
    : s_(anchor_head_settings(cfg)) {
  for (const auto& c : s_.classes) a_ += static_cast<int64_t>(c.sizes.size() * c.rotations.size());
  k_ = static_cast<int64_t>(s_.classes.size());
  if (cfg.find("MODEL.DENSE_HEAD.CLASS_AGNOSTIC") &&
      cfg.as<bool>(cfg.find("MODEL.DENSE_HEAD.CLASS_AGNOSTIC"), "MODEL.DENSE_HEAD.CLASS_AGNOSTIC"))
    throw Error(cfg.path + ": MODEL.DENSE_HEAD.CLASS_AGNOSTIC: True is not supported");
  const int64_t bins = s_.num_dir_bins;
  wc_ = wl.take("dense_head.conv_cls.weight", {a_ * k_, in, 1, 1});
  bc_ = wl.take("dense_head.conv_cls.bias", {a_ * k_});
  wb_ = wl.take("dense_head.conv_box.weight", {a_ * 7, in, 1, 1});
  bb_ = wl.take("dense_head.conv_box.bias", {a_ * 7});
  wd_ = wl.take("dense_head.conv_dir_cls.weight", {a_ * bins, in, 1, 1});
  bd_ = wl.take("dense_head.conv_dir_cls.bias", {a_ * bins});
}

AnchorHeadMaps AnchorHead::forward(nn::Backend& be, const nn::Tensor& x) const {
  const int64_t H = x.dim(2), W = x.dim(3);
  AnchorHeadMaps m;
  m.cls = be.alloc({1, wc_.dim(0), H, W});
  m.box = be.alloc({1, wb_.dim(0), H, W});
  m.dir = be.alloc({1, wd_.dim(0), H, W});
  be.conv2d(x, wc_, bc_, 1, 0, m.cls);
  be.conv2d(x, wb_, bb_, 1, 0, m.box);
  be.conv2d(x, wd_, bd_, 1, 0, m.dir);
  return m;
}

}  // namespace lidardet
