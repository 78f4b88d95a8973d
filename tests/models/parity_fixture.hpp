// What the parity tests share: the fixtures of tools/fixtures (tests/fixtures/parity/<model>.*)
// as host tensors, the reference frame as a PointCloud, and the relative-error measure.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.hpp"
#include "common/test_paths.hpp"
#include "core/box3d.hpp"
#include "core/point_cloud.hpp"
#include "nn/tensor.hpp"

namespace lidardet::test::parity {

// A tensor on the host as floats (integer tensors flagged, converted back by tensor()).
struct Host {
  std::vector<int64_t> shape;
  std::vector<float> v;
  bool is_int = false;
  nn::Tensor tensor() const {
    nn::Tensor t = nn::Tensor::empty(shape, is_int ? nn::DType::I32 : nn::DType::F32);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (is_int)
        t.i32()[i] = int32_t(v[i]);
      else
        t.f32()[i] = v[i];
    return t;
  }
};

// Any host tensor, strided views included; host_of(t).tensor() is a contiguous host copy.
inline Host host_of(const nn::Tensor& t) {
  return Host{t.shape(), t.to_vector(), t.dtype() == nn::DType::I32};
}

inline std::string fixture_path(const std::string& model, const std::string& what) {
  return source_dir() + "/tests/fixtures/parity/" + model + "." + what;
}

// Every tensor the reference recorded for `model`, by its name.
inline std::map<std::string, Host> reference_tensors(const std::string& model) {
  const Checkpoint c = load_checkpoint(fixture_path(model, "tensors.safetensors"));
  std::map<std::string, Host> out;
  for (const auto& t : c.tensors) out[t.name] = {t.shape, t.to_float32(), t.dtype == DType::I32};
  return out;
}

// The reference's input.points rows (batch, x, y, z, intensity[, elongation]) as a cloud.
inline PointCloud input_cloud(const Host& points) {
  const std::size_t n = points.shape[0], w = points.shape[1];
  std::vector<std::string> ch = {"x", "y", "z", "intensity", "elongation"};
  ch.resize(w - 1);
  PointCloud cloud(ch);
  for (std::size_t i = 0; i < n; ++i)
    cloud.push_back(std::span<const float>(&points.v[i * w + 1], w - 1));
  return cloud;
}

// max |a - b| / max |b| (max |a - b| when b is all zero).
inline double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    scale = std::max(scale, double(std::fabs(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// Our boxes against the reference's post.boxes (OpenPCDet-style x, y, z_centre, l, w, h, yaw in the
// LiDAR frame), post.scores and post.labels (1-based into `names`), in order: geometry within
// `tol` * (1 + |reference|), yaw on the circle, scores within `score_tol`.
inline void expect_reference_boxes(const std::map<std::string, Host>& ref,
                                   const std::vector<Box3D>& ours,
                                   const std::vector<std::string>& names, double tol,
                                   double score_tol) {
  const Host& boxes = ref.at("post.boxes");
  const Host& scores = ref.at("post.scores");
  const Host& labels = ref.at("post.labels");
  ASSERT_EQ(ours.size(), std::size_t(boxes.shape[0]));
  for (std::size_t i = 0; i < ours.size(); ++i) {
    SCOPED_TRACE(i);
    const float* r = &boxes.v[i * 7];
    const double got[6] = {ours[i].x, ours[i].y, ours[i].z, ours[i].l, ours[i].w, ours[i].h};
    for (int k = 0; k < 6; ++k) EXPECT_NEAR(got[k], r[k], tol * (1 + std::fabs(r[k])));
    EXPECT_NEAR(std::remainder(ours[i].yaw - r[6], 2 * std::numbers::pi), 0.0,
                tol * (1 + std::fabs(r[6])));
    EXPECT_NEAR(ours[i].score, scores.v[i], score_tol);
    EXPECT_EQ(ours[i].label, names.at(int(labels.v[i]) - 1));
  }
}

}  // namespace lidardet::test::parity
