// KITTI I/O speed: reading a 120k-point velodyne .bin (the size of a full HDL-64 sweep) and a
// label file, each against a baseline run in the same process (the raw file read, and a plain
// iostream parse of the label text) so that the reported ratio is the cost of validation.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "io/kitti_calib.hpp"
#include "io/kitti_label.hpp"
#include "io/kitti_velodyne.hpp"

namespace {

namespace fs = std::filesystem;
constexpr std::size_t kPoints = 120000;
constexpr int kObjects = 20;  // a busy KITTI frame

const fs::path& scratch() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("lidardet_bench_io_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

const std::string& bin_path() {
  static const std::string path = [] {
    lidardet::PointCloud c;
    c.reserve(kPoints);
    for (std::size_t i = 0; i < kPoints; ++i) {
      const float a = static_cast<float>(i) * 0.0031f,
                  r = 5.f + static_cast<float>(i % 997) * 0.08f;
      const float v[4] = {r * std::cos(a), r * std::sin(a), -1.7f + (i % 64) * 0.03f,
                          static_cast<float>(i % 100) / 100.f};
      c.push_back(v);
    }
    const auto p = (scratch() / "000000.bin").string();
    lidardet::write_velodyne_bin(p, c);
    return p;
  }();
  return path;
}

const std::string& label_path() {
  static const std::string path = [] {
    std::vector<lidardet::KittiObject> objs(kObjects);
    for (int i = 0; i < kObjects; ++i) {
      auto& o = objs[i];
      o.type = i % 3 ? "Car" : "Pedestrian";
      o.truncated = 0.01 * i, o.occluded = i % 3, o.alpha = -1.5 + 0.1 * i;
      o.bbox = {100.0 + i, 150.0, 200.0 + i, 250.5};
      o.h = 1.5, o.w = 1.6, o.l = 3.9, o.x = -5.0 + i, o.y = 1.7, o.z = 10.0 + 2 * i;
      o.ry = 0.05 * i;
    }
    const auto p = (scratch() / "000000.txt").string();
    lidardet::write_kitti_labels(p, objs);
    return p;
  }();
  return path;
}

void BM_BinRawRead(benchmark::State& state) {  // baseline: the bytes only
  const auto& p = bin_path();
  for (auto _ : state) benchmark::DoNotOptimize(lidardet::read_file_bytes(p));
  state.SetBytesProcessed(state.iterations() * kPoints * 16);
}
BENCHMARK(BM_BinRawRead)->Unit(benchmark::kMicrosecond);

void BM_ReadVelodyneBin(benchmark::State& state) {
  const auto& p = bin_path();
  for (auto _ : state) benchmark::DoNotOptimize(lidardet::read_velodyne_bin(p));
  state.SetBytesProcessed(state.iterations() * kPoints * 16);
  state.SetItemsProcessed(state.iterations() * kPoints);
}
BENCHMARK(BM_ReadVelodyneBin)->Unit(benchmark::kMicrosecond);

void BM_WriteVelodyneBin(benchmark::State& state) {
  const auto cloud = lidardet::read_velodyne_bin(bin_path());
  const auto out = (scratch() / "out.bin").string();
  for (auto _ : state) lidardet::write_velodyne_bin(out, cloud);
  state.SetBytesProcessed(state.iterations() * kPoints * 16);
}
BENCHMARK(BM_WriteVelodyneBin)->Unit(benchmark::kMicrosecond);

void BM_LabelIostreamParse(benchmark::State& state) {  // baseline: unvalidated >> parsing
  const auto& p = label_path();
  for (auto _ : state) {
    std::istringstream in(lidardet::read_file_bytes(p));
    std::vector<lidardet::KittiObject> objs;
    lidardet::KittiObject o;
    while (in >> o.type >> o.truncated >> o.occluded >> o.alpha >> o.bbox[0] >> o.bbox[1] >>
           o.bbox[2] >> o.bbox[3] >> o.h >> o.w >> o.l >> o.x >> o.y >> o.z >> o.ry)
      objs.push_back(o);
    benchmark::DoNotOptimize(objs);
  }
  state.SetItemsProcessed(state.iterations() * kObjects);
}
BENCHMARK(BM_LabelIostreamParse)->Unit(benchmark::kMicrosecond);

void BM_ReadKittiLabels(benchmark::State& state) {
  const auto& p = label_path();
  for (auto _ : state) benchmark::DoNotOptimize(lidardet::read_kitti_labels(p));
  state.SetItemsProcessed(state.iterations() * kObjects);
}
BENCHMARK(BM_ReadKittiLabels)->Unit(benchmark::kMicrosecond);

void BM_ReadKittiCalib(benchmark::State& state) {
  const auto p = (scratch() / "calib.txt").string();
  lidardet::write_kitti_calib(
      p, lidardet::synthetic_kitti_calib(721.5, 721.5, 609.6, 172.9, {0, -0.08, -0.27}));
  for (auto _ : state) benchmark::DoNotOptimize(lidardet::read_kitti_calib(p));
}
BENCHMARK(BM_ReadKittiCalib)->Unit(benchmark::kMicrosecond);

}  // namespace
