// CUDA voxelizer against the CPU voxelizer, bit for bit. Skipped without a CUDA device.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <random>

#include "common/expect_same_voxels.hpp"
#include "common/test_paths.hpp"
#include "core/atomic_file.hpp"
#include "core/device.hpp"
#include "voxel/cuda_voxelizer.hpp"

using namespace lidardet;

namespace {

#define REQUIRE_CUDA_DEVICE()                                           \
  do {                                                                  \
    if (!cuda::device_available())                                      \
      GTEST_SKIP() << "no CUDA device: " << cuda::device_description(); \
  } while (0)

PointCloud random_cloud(std::uint32_t seed, std::size_t n) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> xy(-80, 80), z(-3, 5), f(-2, 40);
  PointCloud c({"x", "y", "z", "intensity", "elongation"});
  c.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    c(i, 0) = xy(rng), c(i, 1) = xy(rng), c(i, 2) = z(rng), c(i, 3) = f(rng), c(i, 4) = f(rng);
  }
  return c;
}

void expect_same(std::span<const PointCloudView> batch, const VoxelizerConfig& config) {
  const Voxels cpu = voxelize(batch, config, 2);
  const PointFeatures cpu_f = point_features(batch, cpu, config, 2);
  cuda::CudaVoxelizer gpu(config);
  for (int rep = 0; rep < 2; ++rep) {  // the second run reuses the device buffers
    gpu.upload(batch);
    gpu.run();
    const Voxels g = gpu.voxels();
    lidardet::test::expect_same_voxels(g, cpu);
    EXPECT_EQ(gpu.means(), voxel_means(batch, cpu));
    const PointFeatures f = gpu.features();
    EXPECT_EQ(f.names, cpu_f.names);
    ASSERT_EQ(f.values.size(), cpu_f.values.size());
    EXPECT_EQ(std::memcmp(f.values.data(), cpu_f.values.data(), f.values.size() * 4), 0);
  }
}

}  // namespace

TEST(CudaVoxelizer, WaymoLikeBatchMatchesCpuBitForBit) {
  REQUIRE_CUDA_DEVICE();
  const auto config = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [-75.52, -75.52, -2, 75.52, 75.52, 4.0]\n"
                 "VOXEL_SIZE: [0.32, 0.32, 0.1875]\nTANH_CHANNELS: [intensity, elongation]\n"
                 "WITH_DISTANCE: true\n"));
  const PointCloud a = random_cloud(1, 180000), b = random_cloud(2, 1000), empty(a.channels());
  const std::vector<PointCloudView> batch = {a.view(), empty.view(), b.view()};
  expect_same(batch, config);
}

TEST(CudaVoxelizer, PillarsStrictClampZyxMatchesCpu) {
  REQUIRE_CUDA_DEVICE();
  const auto config = VoxelizerConfig::from_yaml(YAML::Load(
      "POINT_CLOUD_RANGE: [-74.88, -74.88, -2, 74.88, 74.88, 4]\nVOXEL_SIZE: [0.32, 0.32, 6]\n"
      "RANGE_RULE: strict_clamp\nFILTER_RANGE: [-74.88, -74.88, -1.999, 74.88, 74.88, 3.999]\n"
      "VOXEL_ORDER: zyx\n"));
  const PointCloud a = random_cloud(3, 120000);
  const std::vector<PointCloudView> batch = {a.view()};
  expect_same(batch, config);
}

TEST(CudaVoxelizer, EmptyBatchAndKittiFrame) {
  REQUIRE_CUDA_DEVICE();
  const auto config = VoxelizerConfig::from_yaml(
      YAML::Load("POINT_CLOUD_RANGE: [0, -40, -3, 70.4, 40, 1]\nVOXEL_SIZE: [0.2, 0.2, 0.125]\n"));
  const PointCloud empty;
  std::vector<PointCloudView> batch = {empty.view()};
  cuda::CudaVoxelizer gpu(config);
  gpu.upload(batch);
  gpu.run();
  EXPECT_EQ(gpu.num_voxels(), 0u);
  const std::string path = test::shared_data("kitti_real/training/velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(path);
  const std::string bytes = read_file_bytes(path);
  PointCloud cloud;
  cloud.resize(bytes.size() / 16);
  std::memcpy(cloud.data(), bytes.data(), bytes.size());
  batch = {cloud.view()};
  expect_same(batch, config);
}
