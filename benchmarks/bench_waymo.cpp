// Decoding Waymo v1 frames to points (all five lidars, both returns), against baselines in the
// same process: the protobuf + zlib work alone, and the TFRecord CRC check.
// Run: build/benchmarks/bench_waymo (one thread; frames/s = items_per_second).
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>

#include "io/waymo/crc32c.hpp"
#include "io/waymo/detection_input.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/range_image.hpp"
#include "io/waymo/zlib_codec.hpp"
#include "sim/scene_config.hpp"
#include "sim/simulator.hpp"

using namespace lidardet::waymo;

namespace {
constexpr double kPi = std::numbers::pi;

Transform yaw_transform(double yaw, double x, double y, double z) {
  const double c = std::cos(yaw), s = std::sin(yaw);
  return {c, -s, 0, x, s, c, 0, y, 0, 0, 1, z, 0, 0, 0, 1};
}

// A street-like frame at Waymo's sizes: TOP 64 x 2650 with ~90% valid pixels (ground, and
// walls 12-40 m away), four 200 x 600 short-range lidars with ~5% valid, second returns on ~8%.
std::string make_frame_bytes() {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 0.02);
  std::uniform_real_distribution<double> u(0, 1);
  SceneFrame scene;
  scene.context_name = "bench";
  scene.pose = yaw_transform(0.5, 3.0, -2.0, 0.1);
  for (int name = 1; name <= 5; ++name) {
    const bool top = name == 1;
    const int H = top ? 64 : 200, W = top ? 2650 : 600;
    std::vector<double> incl(H);
    for (int r = 0; r < H; ++r)
      incl[r] =
          top ? (2.5 - 20.0 * r / (H - 1)) * kPi / 180 : (30 - 120.0 * (r + 0.5) / H) * kPi / 180;
    const double yaws[] = {0, 148, 0, 88.8, -92, 180};
    const LaserCalibration calib = make_laser_calibration(
        LaserName(name), incl, yaw_transform(yaws[name] * kPi / 180, 1.43, 0, 2.184), !top,
        -90 * kPi / 180, 30 * kPi / 180);
    LaserScan scan{calib, {}, {}};
    for (MatrixFloat* m : {&scan.return1, &scan.return2}) {
      m->dims = {H, W, 4};
      m->data.assign(std::size_t(H) * W * 4, -1.f);
    }
    for (int r = 0; r < H; ++r) {
      for (int c = 0; c < W; ++c) {
        const double wall = 12 + 28 * (0.5 + 0.5 * std::sin(c * 2 * kPi / W * 3));
        const double ground = incl[r] < 0 ? 2.184 / std::sin(-incl[r]) : 1e9;
        double range = std::min(wall / std::cos(incl[r]), ground) + noise(rng);
        const bool valid = top ? (range < 75 && u(rng) < 0.92) : u(rng) < 0.05;
        if (!top) range = 1 + 18 * u(rng);
        if (!valid) continue;
        float* p = &scan.return1.data[(std::size_t(r) * W + c) * 4];
        p[0] = float(range), p[1] = float(u(rng) * 0.3), p[2] = float(u(rng) * 0.1), p[3] = -1;
        if (u(rng) < 0.08) {
          float* q = &scan.return2.data[(std::size_t(r) * W + c) * 4];
          q[0] = float(range + 2), q[1] = float(u(rng) * 0.1), q[2] = 0.f, q[3] = -1;
        }
      }
    }
    scene.lasers.push_back(std::move(scan));
  }
  return encode_frame(build_frame(scene));
}

const std::string& frame_bytes() {
  static const std::string bytes = make_frame_bytes();
  return bytes;
}

// The full path: protobuf decoding, zlib, pixel-to-point conversion of all lasers and returns.
void BM_FrameToPoints(benchmark::State& state) {
  const std::string& bytes = frame_bytes();
  std::size_t points = 0;
  for (auto _ : state) {
    const Frame f = decode_frame(bytes, "bench");
    const FramePoints fp = frame_points(f, "bench");
    points = fp.cloud.size();
    benchmark::DoNotOptimize(fp.cloud.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["points"] = double(points);
  state.counters["MB"] = double(bytes.size()) / 1e6;
}

// Baseline: protobuf decoding and zlib inflation of the same range and pose images, no points.
void BM_DecodeAndInflateOnly(benchmark::State& state) {
  const std::string& bytes = frame_bytes();
  for (auto _ : state) {
    const Frame f = decode_frame(bytes, "bench");
    for (const auto& l : f.lasers) {
      for (const RangeImageBlobs* r : {&l.ri_return1, &l.ri_return2}) {
        benchmark::DoNotOptimize(
            decompress_matrix_float(r->range_image_compressed, "b").data.data());
        if (!r->range_image_pose_compressed.empty())
          benchmark::DoNotOptimize(
              decompress_matrix_float(r->range_image_pose_compressed, "b").data.data());
      }
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Inflating every blob of the frame: the fast path (libdeflate when built with it) against
// zlib's streaming inflate, the baseline.
void inflate_all(benchmark::State& state, bool streaming) {
  const Frame f = decode_frame(frame_bytes(), "bench");
  // Both get the exact output size up front, as decompress_matrix_float arranges.
  std::vector<std::pair<const std::string*, std::size_t>> blobs;
  for (const auto& l : f.lasers)
    for (const RangeImageBlobs* r : {&l.ri_return1, &l.ri_return2})
      for (const std::string* blob : {&r->range_image_compressed, &r->range_image_pose_compressed})
        if (!blob->empty()) blobs.emplace_back(blob, zlib_inflate_streaming(*blob, "b").size());
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& [blob, size] : blobs) {
      const std::string out =
          streaming ? zlib_inflate_streaming(*blob, "b", size) : zlib_inflate(*blob, "b", size);
      bytes += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * std::int64_t(bytes));
}
void BM_InflateFast(benchmark::State& state) { inflate_all(state, false); }
void BM_InflateZlibStreaming(benchmark::State& state) { inflate_all(state, true); }

// Baseline: the TFRecord data CRC of the same frame.
void BM_Crc32cOfFrame(benchmark::State& state) {
  const std::string& bytes = frame_bytes();
  for (auto _ : state) benchmark::DoNotOptimize(crc32c(bytes));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * std::int64_t(bytes.size()));
}

}  // namespace

// What `lidardet detect` adds per Waymo frame before the model: raw channels to the model's
// features (tanh on intensity and elongation, NLZ filter). Compare with BM_FrameToPoints.
void BM_ModelInputCloud(benchmark::State& state) {
  const FramePoints fp = frame_points(decode_frame(frame_bytes(), "bench"), "bench");
  const std::vector<std::string> used = {"x", "y", "z", "intensity", "elongation"};
  for (auto _ : state) {
    const lidardet::PointCloud c =
        model_input_cloud(fp.cloud, used, {"intensity", "elongation"}, true, "bench");
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["points"] = double(fp.cloud.size());
}

// One simulated Waymo-TOP frame (configs/sim/waymo_top.yaml, scene_waymo.yaml) without (0) and
// with (1) the second-return model: the ratio is the cost of second returns.
void BM_SimulateTopFrame(benchmark::State& state) {
  const std::string cfg = std::string(LIDARDET_SOURCE_DIR) + "/configs/sim/";
  lidardet::sim::SensorSpec sensor = lidardet::sim::load_sensor(cfg + "waymo_top.yaml");
  if (state.range(0) == 0) sensor.second_return_footprint = 0;
  const lidardet::sim::Simulator sim(sensor,
                                     lidardet::sim::load_scene_config(cfg + "scene_waymo.yaml"));
  std::size_t second = 0;
  for (auto _ : state) {
    const lidardet::sim::SimFrame f = sim.simulate(3, 0);
    second = f.second_points.size();
    benchmark::DoNotOptimize(f.points.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["second_returns"] = double(second);
}

BENCHMARK(BM_FrameToPoints)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ModelInputCloud)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulateTopFrame)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeAndInflateOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InflateFast)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InflateZlibStreaming)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Crc32cOfFrame)->Unit(benchmark::kMillisecond);
