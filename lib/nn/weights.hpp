// Parameters by their official state_dict key names. A WeightMap holds name -> host f32 tensor;
// a WeightLoader hands them to modules (uploading to the backend) and records every problem, so
// that finish() throws ONE lidardet::Error listing all missing, wrong-shape and unexpected keys.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nn/backend.hpp"

#ifdef LIDARDET_NN_HAVE_CHECKPOINT
#include "checkpoint/checkpoint.hpp"
#endif

namespace lidardet::nn {

class WeightMap {
 public:
  std::string source = "weights";  // file name for error messages

  void add(const std::string& name, Tensor host_f32);
  const Tensor* find(const std::string& name) const;
  std::size_t size() const { return tensors_.size(); }
  std::vector<std::string> names() const;  // sorted

#ifdef LIDARDET_NN_HAVE_CHECKPOINT
  // Every tensor of a loaded checkpoint, converted to f32 (integer buffers such as
  // num_batches_tracked included, so that they count as present).
  static WeightMap from_checkpoint(const Checkpoint& ckpt);
#endif

 private:
  std::map<std::string, Tensor> tensors_;
};

class WeightLoader {
 public:
  WeightLoader(const WeightMap& weights, Backend& backend);

  // The tensor `key` of exactly `shape`, on the backend. A missing or wrong-shape key is
  // recorded and a zero tensor of `shape` returned, so that module construction continues.
  Tensor take(const std::string& key, const Shape& shape);
  // The same, left on the host, for modules that transform a weight before uploading it.
  Tensor take_host(const std::string& key, const Shape& shape);
  // Marks a key as consumed without using it (e.g. BatchNorm num_batches_tracked).
  void ignore(const std::string& key);

  // Conv or linear weight [O, ...] followed by an eval-mode BatchNorm at `bn_prefix`
  // (weight, bias, running_mean, running_var): returns the folded weight and bias
  // w' = w * g / sqrt(var + eps), b' = (b - mean) * g / sqrt(var + eps) + beta.
  // `bias_key` may be empty (no bias before the norm).
  std::pair<Tensor, Tensor> take_folded(const std::string& weight_key, const Shape& shape,
                                        const std::string& bias_key, const std::string& bn_prefix,
                                        float eps);

  // ConvTranspose2d weight [Cin, Cout, k, k] followed by an eval-mode BatchNorm over Cout at
  // `bn_prefix`, no conv bias: the norm folds along dim 1 (float arithmetic).
  std::pair<Tensor, Tensor> take_folded_transposed(const std::string& weight_key,
                                                   const Shape& shape, const std::string& bn_prefix,
                                                   float eps);
  // Throws one Error listing every missing key, wrong shape and (unless allow_unexpected) every
  // key of the map that no module took. Keys under any of `unused_prefixes` are not unexpected.
  // With allow_missing, missing keys are not an error here: the caller takes them from
  // missing_keys() and refuses to run what needs them (trace on a span of stages).
  void finish(bool allow_unexpected = false, const std::vector<std::string>& unused_prefixes = {},
              bool allow_missing = false);
  // The keys the model asked for that the weights do not hold, in the order asked.
  const std::vector<std::string>& missing_keys() const { return missing_names_; }

  Backend& backend() { return backend_; }

 private:
  const Tensor* lookup(const std::string& key, const Shape& shape);

  const WeightMap& weights_;
  Backend& backend_;
  std::set<std::string> taken_;
  std::vector<std::string> missing_, wrong_shape_;  // "key [shape]" lines for the error
  std::vector<std::string> missing_names_;
};

// The BatchNorm folding of take_folded, on host tensors (exposed for tests and other callers).
std::pair<Tensor, Tensor> fold_batchnorm(const Tensor& w, const Tensor& b, const Tensor& gamma,
                                         const Tensor& beta, const Tensor& mean, const Tensor& var,
                                         float eps);

}  // namespace lidardet::nn
