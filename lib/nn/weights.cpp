#include "nn/weights.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace lidardet::nn {

void WeightMap::add(const std::string& name, Tensor host_f32) {
  expect_dtype("WeightMap::add", name.c_str(), host_f32, DType::F32);
  if (!host_f32.contiguous() || host_f32.device() != Device::Host)
    throw Error("nn::WeightMap::add: '" + name + "' must be a contiguous host tensor");
  tensors_[name] = std::move(host_f32);
}

const Tensor* WeightMap::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<std::string> WeightMap::names() const {
  std::vector<std::string> r;
  for (auto& [k, v] : tensors_) r.push_back(k);
  return r;
}

#ifdef LIDARDET_NN_HAVE_CHECKPOINT
WeightMap WeightMap::from_checkpoint(const Checkpoint& ckpt) {
  WeightMap m;
  m.source = ckpt.source;
  for (const NamedTensor& t : ckpt.tensors) {
    Shape s(t.shape.begin(), t.shape.end());
    m.add(t.name, Tensor::from_vector(s, t.to_float32()));
  }
  return m;
}
#endif

WeightLoader::WeightLoader(const WeightMap& weights, Backend& backend)
    : weights_(weights), backend_(backend) {}

const Tensor* WeightLoader::lookup(const std::string& key, const Shape& shape) {
  const Tensor* t = weights_.find(key);
  if (!t) {
    missing_.push_back(key + " " + shape_string(shape));
    missing_names_.push_back(key);
    return nullptr;
  }
  taken_.insert(key);
  if (t->shape() != shape) {
    wrong_shape_.push_back(key + ": " + shape_string(t->shape()) + ", expected " +
                           shape_string(shape));
    return nullptr;
  }
  return t;
}

Tensor WeightLoader::take(const std::string& key, const Shape& shape) {
  const Tensor* t = lookup(key, shape);
  return backend_.upload(t ? *t : Tensor::empty(shape));
}

Tensor WeightLoader::take_host(const std::string& key, const Shape& shape) {
  const Tensor* t = lookup(key, shape);
  return t ? *t : Tensor::empty(shape);
}

void WeightLoader::ignore(const std::string& key) {
  if (weights_.find(key)) taken_.insert(key);
}

std::pair<Tensor, Tensor> fold_batchnorm(const Tensor& w, const Tensor& b, const Tensor& gamma,
                                         const Tensor& beta, const Tensor& mean, const Tensor& var,
                                         float eps) {
  const int64_t O = w.dim(0), per = O ? w.numel() / O : 0;
  for (const Tensor* t : {&gamma, &beta, &mean, &var})
    expect_shape("fold_batchnorm", "bn", *t, {O});
  Tensor wf = Tensor::empty(w.shape());
  Tensor bf = Tensor::empty({O});
  for (int64_t o = 0; o < O; ++o) {
    const double scale = gamma.f32()[o] / std::sqrt(static_cast<double>(var.f32()[o]) + eps);
    for (int64_t i = 0; i < per; ++i)
      wf.f32()[o * per + i] = static_cast<float>(w.f32()[o * per + i] * scale);
    const double b0 = b.defined() ? b.f32()[o] : 0.0;
    bf.f32()[o] = static_cast<float>((b0 - mean.f32()[o]) * scale + beta.f32()[o]);
  }
  return {wf, bf};
}

std::pair<Tensor, Tensor> WeightLoader::take_folded(const std::string& weight_key,
                                                    const Shape& shape, const std::string& bias_key,
                                                    const std::string& bn_prefix, float eps) {
  const int64_t O = shape.at(0);
  const Tensor* w = lookup(weight_key, shape);
  const Tensor* b = bias_key.empty() ? nullptr : lookup(bias_key, {O});
  const Tensor* g = lookup(bn_prefix + "weight", {O});
  const Tensor* be = lookup(bn_prefix + "bias", {O});
  const Tensor* m = lookup(bn_prefix + "running_mean", {O});
  const Tensor* v = lookup(bn_prefix + "running_var", {O});
  ignore(bn_prefix + "num_batches_tracked");
  if (!w || (!bias_key.empty() && !b) || !g || !be || !m || !v)
    return {backend_.upload(Tensor::empty(shape)), backend_.upload(Tensor::empty({O}))};
  auto [wf, bf] = fold_batchnorm(*w, b ? *b : Tensor(), *g, *be, *m, *v, eps);
  return {backend_.upload(wf), backend_.upload(bf)};
}

std::pair<Tensor, Tensor> WeightLoader::take_folded_transposed(const std::string& weight_key,
                                                               const Shape& shape,
                                                               const std::string& bn_prefix,
                                                               float eps) {
  const int64_t cin = shape.at(0), out = shape.at(1), k2 = shape.at(2) * shape.at(3);
  Tensor w = take_host(weight_key, shape);
  Tensor g = take_host(bn_prefix + "weight", {out}), be = take_host(bn_prefix + "bias", {out});
  Tensor m = take_host(bn_prefix + "running_mean", {out});
  Tensor v = take_host(bn_prefix + "running_var", {out});
  ignore(bn_prefix + "num_batches_tracked");
  Tensor wf = Tensor::empty(shape), bf = Tensor::empty({out});
  for (int64_t o = 0; o < out; ++o) {
    const float scale = g.f32()[o] / std::sqrt(v.f32()[o] + eps);
    bf.f32()[o] = be.f32()[o] - m.f32()[o] * scale;
    for (int64_t c = 0; c < cin; ++c)
      for (int64_t q = 0; q < k2; ++q) {
        const int64_t at = (c * out + o) * k2 + q;
        wf.f32()[at] = w.f32()[at] * scale;
      }
  }
  return {backend_.upload(wf), backend_.upload(bf)};
}

void WeightLoader::finish(bool allow_unexpected, const std::vector<std::string>& unused_prefixes,
                          bool allow_missing) {
  std::vector<std::string> unexpected;
  if (!allow_unexpected)
    for (const std::string& k : weights_.names()) {
      if (taken_.count(k)) continue;
      bool skip = false;
      for (const std::string& p : unused_prefixes) skip = skip || k.rfind(p, 0) == 0;
      if (!skip) unexpected.push_back(k);
    }
  const std::vector<std::string> none;
  const std::vector<std::string>& missing = allow_missing ? none : missing_;
  if (missing.empty() && wrong_shape_.empty() && unexpected.empty()) return;
  std::string msg = weights_.source + ": the weights do not match the model:";
  // Every key listed below, but say first what a wholesale mismatch usually means.
  if (taken_.empty() && !allow_missing)
    msg +=
        "\n  no key of the model was found in the weights: are these the weights of a different "
        "configuration (or of a different framework's key names)?";
  auto list = [&msg](const char* what, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    msg += "\n  " + std::to_string(keys.size()) + " " + what + ":";
    for (const std::string& k : keys) msg += "\n    " + k;
  };
  list("missing keys", missing);
  list("keys with the wrong shape", wrong_shape_);
  list("unexpected keys", unexpected);
  throw Error(msg);
}

}  // namespace lidardet::nn
