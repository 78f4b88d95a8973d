// Voxelizer speed on seeded HDL-64-like and Waymo-like frames (lib/voxel/bench_frames.hpp):
// sort- vs hash-based unique voxels, 1 and 2 threads, voxel means and full VFE features, and
// the CUDA voxelizer where a device is present. Ratios go in docs/perf/voxel.md.
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include "voxel/bench_frames.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"
#ifdef LIDARDET_HAVE_CUDA
#include "core/device.hpp"
#include "voxel/cuda_voxelizer.hpp"
#endif

namespace {

using namespace lidardet;

// Frame 0: hdl64 with LION's KITTI grid widened to 360 degrees; frame 1: waymo with LION's
// Waymo grid (lion.md §1.1, §1.2).
struct Case {
  PointCloud cloud;
  VoxelizerConfig config;
};

const Case& get_case(int which) {
  static const Case cases[2] = {
      {synthetic_frame("hdl64", 1),
       VoxelizerConfig::from_yaml(YAML::Load("POINT_CLOUD_RANGE: [-70.4, -40, -3, 70.4, 40, 1]\n"
                                             "VOXEL_SIZE: [0.2, 0.2, 0.125]\n"))},
      {synthetic_frame("waymo", 1),
       VoxelizerConfig::from_yaml(YAML::Load(
           "POINT_CLOUD_RANGE: [-75.52, -75.52, -2, 75.52, 75.52, 4.0]\n"
           "VOXEL_SIZE: [0.32, 0.32, 0.1875]\nTANH_CHANNELS: [intensity, elongation]\n"))}};
  return cases[which];
}

void BM_Voxelize(benchmark::State& state) {
  const Case& c = get_case(int(state.range(0)));
  const auto method = state.range(1) ? UniqueMethod::kHash : UniqueMethod::kSort;
  const int threads = int(state.range(2));
  const std::vector<PointCloudView> batch = {c.cloud.view()};
  const bool reuse = state.range(3) != 0;  // keep buffers between frames
  Voxels v;
  VoxelWorkspace ws;
  std::vector<float> means;
  for (auto _ : state) {
    if (!reuse) v = Voxels{}, ws = VoxelWorkspace{};
    voxelize_into(v, ws, batch, c.config, threads, method, &means);  // as `bench voxel` does
    benchmark::DoNotOptimize(means.data());
  }
  state.counters["points"] = double(c.cloud.size());
  state.counters["voxels"] = double(v.num_voxels());
}
// (frame, hash?, threads, reuse buffers?): voxels and their means.
BENCHMARK(BM_Voxelize)
    ->ArgNames({"frame", "hash", "threads", "reuse"})
    ->ArgsProduct({{0, 1}, {0, 1}, {1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

void BM_VoxelizeWithFeatures(benchmark::State& state) {
  const Case& c = get_case(int(state.range(0)));
  const int threads = int(state.range(1));
  const std::vector<PointCloudView> batch = {c.cloud.view()};
  Voxels v;  // buffers kept between frames
  VoxelWorkspace ws;
  std::vector<float> means;
  PointFeatures f;
  for (auto _ : state) {
    voxelize_into(v, ws, batch, c.config, threads);
    voxel_means_into(means, batch, v, threads);
    point_features_into(f, batch, v, c.config, threads, &means);
    benchmark::DoNotOptimize(f.values.data());
  }
}
BENCHMARK(BM_VoxelizeWithFeatures)
    ->ArgNames({"frame", "threads"})
    ->ArgsProduct({{0, 1}, {1, 2}})
    ->Unit(benchmark::kMillisecond);

#ifdef LIDARDET_HAVE_CUDA
// Device voxelization of points already on the device (means always, features when asked).
void BM_CudaVoxelize(benchmark::State& state) {
  if (!cuda::device_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Case& c = get_case(int(state.range(0)));
  const std::vector<PointCloudView> batch = {c.cloud.view()};
  cuda::CudaVoxelizer gpu(c.config);
  gpu.upload(batch);
  for (auto _ : state) gpu.run(state.range(1) != 0);
  state.counters["voxels"] = double(gpu.num_voxels());
}
BENCHMARK(BM_CudaVoxelize)
    ->ArgNames({"frame", "features"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
#endif

}  // namespace
