// Simulator speed (one core): whole frames (scene, ray casting, labels) for both sensors, and
// the ray casting of one HDL-64 scan with the azimuth grid against a baseline without it
// (one sector: every ray walks the whole distance-sorted primitive list).
//   bench_sim --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "sim/ray_caster.hpp"
#include "sim/scene_config.hpp"
#include "sim/scene_generator.hpp"
#include "sim/sensor.hpp"
#include "sim/simulator.hpp"

namespace {

using namespace lidardet::sim;

std::string config(const std::string& name) {
  return std::string(LIDARDET_SOURCE_DIR) + "/configs/sim/" + name;
}

void simulate_frames(benchmark::State& state, const std::string& sensor_yaml) {
  const Simulator sim(load_sensor(config(sensor_yaml)), load_scene_config(config("scene.yaml")));
  std::uint64_t index = 0;
  std::size_t points = 0;
  for (auto _ : state) {
    const SimFrame f = sim.simulate(1, index++ % 16);
    points += f.points.size();
    benchmark::DoNotOptimize(f.points.data());
  }
  state.counters["frames_per_s"] =
      benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
  state.counters["points_per_frame"] = static_cast<double>(points) / state.iterations();
}

void BM_SimulateFrameHdl64(benchmark::State& state) { simulate_frames(state, "hdl64.yaml"); }
void BM_SimulateFrameWaymoTop(benchmark::State& state) { simulate_frames(state, "waymo_top.yaml"); }

// Casts all 64 x 2083 rays of one scan; range(0) = azimuth sectors (1 = no acceleration).
void BM_CastScanHdl64(benchmark::State& state) {
  const SensorSpec s = load_sensor(config("hdl64.yaml"));
  const Scene scene = generate_scene(load_scene_config(config("scene.yaml")), 7);
  const RayCaster caster(scene, s.mount_x, s.mount_y, s.mount_z, s.max_range,
                         static_cast<int>(state.range(0)));
  for (auto _ : state) {
    int hits = 0;
    Hit h;
    for (int r = 0; r < s.rows(); ++r)
      for (int c = 0; c < s.columns; ++c)
        hits += caster.cast(s.column_azimuth(c), s.inclinations[r], h);
    benchmark::DoNotOptimize(hits);
  }
  state.counters["rays_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * s.rows() * s.columns, benchmark::Counter::kIsRate);
  state.counters["primitives"] = static_cast<double>(scene.primitives.size());
}

}  // namespace

BENCHMARK(BM_SimulateFrameHdl64)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_SimulateFrameWaymoTop)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_CastScanHdl64)->Arg(1)->Arg(2083)->Unit(benchmark::kMillisecond);
