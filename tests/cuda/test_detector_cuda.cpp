// The Detector on the GPU against the Detector on the CPU, for every model family (the parity
// fixtures of tools/fixtures/make_parity_fixtures.py: LION-Mamba and LION-RWKV with the anchor
// head, LION-Mamba with the CenterHead, FlatFormer). Skips without a CUDA device.
//
// Tolerances: the GPU sums GEMMs and convolutions in another order than OpenBLAS (cuBLAS tiles,
// im2col layouts), so the outputs differ in the last bits, not bit for bit.
// - Each stage fed the CPU's input to that stage: relative error (max |gpu - cpu| / max |cpu|
//   over the stage's output) at most 1e-4, coordinates exactly.
// - Chained from the points, the differences compound through the post-LayerNorms as they do
//   against the PyTorch reference (test_lion_parity.cpp): at most 1e-3.
// - Boxes: the same count, each matched (same label) within 1e-3 m in centre and size, 1e-3 rad
//   in yaw and 1e-4 in score.
// The model code itself is checked bit for bit without a GPU by tests/models/
// test_device_clean.cpp (device-emulating backend).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <numbers>

#include "core/device.hpp"
#include "models/detector.hpp"
#include "models/parity_fixture.hpp"
#include "nn/cuda_backend_factory.hpp"

using namespace lidardet;
using namespace lidardet::test::parity;

namespace {

struct Traced {
  std::vector<Box3D> boxes;
  std::map<std::string, nn::Tensor> stages;
};

StageRecorder into(std::map<std::string, nn::Tensor>& m) {
  return [&m](const std::string& name, const nn::Tensor& t) { m[name] = host_of(t).tensor(); };
}

double angle_diff(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 2 * std::numbers::pi);
  return std::min(d, 2 * std::numbers::pi - d);
}

void expect_close_boxes(const std::vector<Box3D>& gpu, const std::vector<Box3D>& cpu) {
  ASSERT_EQ(gpu.size(), cpu.size());
  std::vector<bool> used(gpu.size(), false);
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const Box3D& c = cpu[i];
    std::size_t best = gpu.size();
    double best_d = INFINITY;
    for (std::size_t j = 0; j < gpu.size(); ++j) {
      if (used[j] || gpu[j].label != c.label) continue;
      const double d = std::hypot(gpu[j].x - c.x, gpu[j].y - c.y, gpu[j].z - c.z);
      if (d < best_d) best_d = d, best = j;
    }
    ASSERT_LT(best, gpu.size()) << "CPU box " << i << " (" << c.label << ") has no GPU match";
    used[best] = true;
    const Box3D& g = gpu[best];
    EXPECT_LT(best_d, 1e-3) << "box " << i;
    EXPECT_NEAR(g.l, c.l, 1e-3) << "box " << i;
    EXPECT_NEAR(g.w, c.w, 1e-3) << "box " << i;
    EXPECT_NEAR(g.h, c.h, 1e-3) << "box " << i;
    EXPECT_LT(angle_diff(g.yaw, c.yaw), 1e-3) << "box " << i;
    EXPECT_NEAR(g.score, c.score, 1e-4) << "box " << i;
  }
}

double stage_error(const nn::Tensor& gpu, const nn::Tensor& cpu) {
  EXPECT_EQ(gpu.shape(), cpu.shape());
  if (gpu.shape() != cpu.shape()) return INFINITY;
  return rel_error(gpu.to_vector(), cpu.to_vector());
}

class DetectorCuda : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!cuda::device_available()) GTEST_SKIP() << "no CUDA device: " << cuda::device_description();
    const std::string m = GetParam();
    yaml_ = fixture_path(m, "yaml");
    weights_ = fixture_path(m, "weights.safetensors");
    cloud_ = input_cloud(reference_tensors(m).at("input.points"));
    cpu_ = std::make_unique<Detector>(yaml_, weights_);
    DetectorOptions o;
    o.backend = DetectorBackend::Cuda;
    gpu_ = std::make_unique<Detector>(yaml_, weights_, o);
  }
  std::string yaml_, weights_;
  PointCloud cloud_;
  std::unique_ptr<Detector> cpu_, gpu_;
};

}  // namespace

TEST_P(DetectorCuda, EachStageFedTheCpuInputMatchesWithin1e4) {
  EXPECT_EQ(gpu_->backend_name(), "cuda");
  Traced want;
  want.boxes = cpu_->detect(cloud_, into(want.stages));
  const auto names = cpu_->stage_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE("stage " + names[i]);
    std::map<std::string, nn::Tensor> got;
    const auto boxes =
        gpu_->run_stages(names[i], names[i], i == 0 ? &cloud_ : nullptr, want.stages, into(got));
    for (const auto& [name, t] : got) {
      ASSERT_TRUE(want.stages.count(name)) << name;
      const nn::Tensor& ref = want.stages.at(name);
      if (t.dtype() == nn::DType::I32)
        EXPECT_EQ(t.to_vector(), ref.to_vector()) << name;  // coordinates: exactly
      else
        EXPECT_LE(stage_error(t, ref), 1e-4) << name;
    }
    if (names[i] == "post_processing") expect_close_boxes(boxes, want.boxes);
  }
}

TEST_P(DetectorCuda, ChainedFromThePointsMatchesWithin1e3AndKeepsTheBoxes) {
  Traced want, got;
  want.boxes = cpu_->detect(cloud_, into(want.stages));
  got.boxes = gpu_->detect(cloud_, into(got.stages));
  ASSERT_FALSE(want.boxes.empty());
  expect_close_boxes(got.boxes, want.boxes);
  ASSERT_EQ(got.stages.size(), want.stages.size());
  for (const auto& [name, t] : want.stages) {
    ASSERT_TRUE(got.stages.count(name)) << name;
    if (t.dtype() == nn::DType::I32) continue;  // later coordinates depend on features (LION)
    EXPECT_LE(stage_error(got.stages.at(name), t), 1e-3) << name;
  }
}

// Same frame three times on the GPU: the same boxes bit for bit (fixed reduction orders), and
// once the arena has merged its first frame's chunks, a frame makes no device allocation.
TEST_P(DetectorCuda, RepeatableAndNoSteadyStateAllocation) {
  nn::Backend* be = nullptr;
  DetectorOptions o;
  o.backend_factory = [&be] {
    auto b = cuda::make_cuda_backend();
    be = b.get();
    return b;
  };
  Detector det(yaml_, weights_, o);
  const auto first = det.detect(cloud_);
  det.detect(cloud_);  // its reset merges the first frame's arena chunks into one
  const std::size_t chunks = be->arena().system_allocations();
  const auto second = det.detect(cloud_);
  EXPECT_EQ(be->arena().system_allocations(), chunks);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(first[i] == second[i]) << i;
  // Stage timings were taken with the device synchronised: all present and non-negative.
  for (const auto& t : det.last_timings()) EXPECT_GE(t.ms, 0.0) << t.stage;
  EXPECT_EQ(det.last_timings().back().stage, "post_processing");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DetectorCuda,
                         ::testing::Values("lion_mamba_anchor", "lion_rwkv_anchor",
                                           "lion_mamba_center", "flatformer_center"));
