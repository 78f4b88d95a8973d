// Every model family runs on a device backend without touching device memory on the host: the
// Detector runs each parity fixture (tools/fixtures/make_parity_fixtures.py) on
// EmulatedDeviceBackend, whose tensors are all tagged as device memory (host accessors throw,
// ops refuse host arguments), and must give the CPU backend's boxes and stage outputs bit for
// bit: the emulator runs the very same CPU ops, so any difference or exception means a host
// read of device memory, a host tensor handed to an op, or a missing transfer. This is what a
// GPU run needs of the model code, checked without a GPU (tests/cuda/test_detector_cuda.cpp
// then compares real GPU numbers).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "emulated_device_backend.hpp"
#include "models/detector.hpp"
#include "parity_fixture.hpp"

using namespace lidardet;
using lidardet::test::EmulatedDeviceBackend;
using namespace lidardet::test::parity;

namespace {

struct Traced {
  std::vector<Box3D> boxes;
  std::map<std::string, nn::Tensor> stages;  // host copies, as the recorder received them
};

// A contiguous host copy of what the recorder received, which must be a host tensor.
nn::Tensor host_copy(const nn::Tensor& t) {
  EXPECT_EQ(t.device(), nn::Device::Host) << "the recorder must receive host tensors";
  return host_of(t).tensor();
}

Traced traced(Detector& det, const PointCloud& cloud) {
  Traced r;
  r.boxes = det.detect(
      cloud, [&](const std::string& name, const nn::Tensor& t) { r.stages[name] = host_copy(t); });
  return r;
}

bool bit_equal(const nn::Tensor& a, const nn::Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.numel() * nn::dtype_size(a.dtype())) == 0;
}

void expect_same_boxes(const std::vector<Box3D>& a, const std::vector<Box3D>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i] == b[i]) << "box " << i;
}

class DeviceClean : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string m = GetParam();
    cloud_ = input_cloud(reference_tensors(m).at("input.points"));
    cpu_ =
        std::make_unique<Detector>(fixture_path(m, "yaml"), fixture_path(m, "weights.safetensors"));
    DetectorOptions o;
    o.backend_factory = [this] {
      auto b = std::make_unique<EmulatedDeviceBackend>();
      emu_ = b.get();
      return std::unique_ptr<nn::Backend>(std::move(b));
    };
    dev_ = std::make_unique<Detector>(fixture_path(m, "yaml"),
                                      fixture_path(m, "weights.safetensors"), o);
  }
  PointCloud cloud_;
  std::unique_ptr<Detector> cpu_, dev_;
  EmulatedDeviceBackend* emu_ = nullptr;
};

}  // namespace

TEST_P(DeviceClean, EveryStageAndBoxEqualsTheCpuBackend) {
  ASSERT_NE(emu_, nullptr);
  EXPECT_EQ(dev_->backend_name(), "emulated-device");
  EXPECT_GT(emu_->uploads, 0) << "weights are uploaded at load";
  const Traced want = traced(*cpu_, cloud_);
  const Traced got = traced(*dev_, cloud_);
  ASSERT_FALSE(want.boxes.empty()) << "the fixture should keep boxes";
  expect_same_boxes(got.boxes, want.boxes);
  ASSERT_EQ(got.stages.size(), want.stages.size());
  for (const auto& [name, t] : want.stages) {
    auto it = got.stages.find(name);
    ASSERT_NE(it, got.stages.end()) << name;
    EXPECT_TRUE(bit_equal(it->second, t)) << name;
  }
}

TEST_P(DeviceClean, FramesMakeNoPersistentUploadsAndReuseTheArena) {
  const int uploads = emu_->uploads;
  const std::vector<Box3D> first = dev_->detect(cloud_);
  EXPECT_EQ(emu_->uploads, uploads) << "a frame must not upload (system-allocate) device memory";
  EXPECT_GT(emu_->copies_in, 0) << "the voxelizer's output goes in by explicit copies";
  EXPECT_GT(emu_->to_host_calls, 0) << "the head maps come out by explicit transfers";
  // The reset before the second frame merges the first frame's chunks into one (nn/arena.hpp);
  // from then on a frame of the same size allocates nothing.
  dev_->detect(cloud_);
  const std::size_t chunks = emu_->arena().system_allocations();
  const std::vector<Box3D> second = dev_->detect(cloud_);
  EXPECT_EQ(emu_->arena().system_allocations(), chunks) << "steady state: the arena is reused";
  EXPECT_EQ(emu_->uploads, uploads);
  expect_same_boxes(second, first);
  expect_same_boxes(second, cpu_->detect(cloud_));
}

// Spans started from recorded host tensors (trace --stage-input): their inputs are copied to
// the device explicitly.
TEST_P(DeviceClean, SpansFromRecordedInputsEqualTheCpuBackend) {
  const Traced rec = traced(*cpu_, cloud_);
  const auto names = cpu_->stage_names();
  for (const std::string& from :
       {names.at(1), std::string("backbone_2d"), std::string("post_processing")}) {
    const auto want = cpu_->run_stages(from, "post_processing", nullptr, rec.stages, {});
    const auto got = dev_->run_stages(from, "post_processing", nullptr, rec.stages, {});
    SCOPED_TRACE("from " + from);
    expect_same_boxes(got, want);
    expect_same_boxes(got, rec.boxes);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DeviceClean,
                         ::testing::Values("lion_mamba_anchor", "lion_rwkv_anchor",
                                           "lion_mamba_center", "flatformer_center"));

// The emulator would catch what it is meant to: a host read of one of its tensors, or a host
// tensor handed to one of its ops.
TEST(EmulatedDeviceBackend, RefusesHostReadsAndHostArguments) {
  EmulatedDeviceBackend be;
  const nn::Tensor host = nn::Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3, 4});
  const nn::Tensor dev = be.upload(host);
  EXPECT_EQ(dev.device(), nn::Device::Cuda);
  EXPECT_THROW(dev.f32(), Error);
  EXPECT_THROW(dev.raw(), Error);
  EXPECT_THROW(dev.to_vector(), Error);
  const nn::Tensor out = be.alloc({2, 2});
  EXPECT_THROW(be.activation(nn::Act::ReLU, host, out), Error);
  be.activation(nn::Act::Identity, dev, out);
  EXPECT_EQ(be.to_host(out).to_vector(), host.to_vector());
}

// Without a CUDA build or device, asking for the CUDA backend is an error that says which.
TEST(DetectorBackend, CudaUnavailableIsAClearError) {
  std::string why;
  if (detector_backend_available(DetectorBackend::Cuda, &why))
    GTEST_SKIP() << "a CUDA device is present (tests/cuda/test_detector_cuda.cpp runs on it)";
  EXPECT_FALSE(why.empty());
  const std::string m = "lion_mamba_anchor";
  DetectorOptions o;
  o.backend = DetectorBackend::Cuda;
  try {
    Detector det(fixture_path(m, "yaml"), fixture_path(m, "weights.safetensors"), o);
    FAIL() << "constructed a CUDA detector without CUDA";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
  EXPECT_TRUE(detector_backend_available(DetectorBackend::Cpu));
}
