// `lidardet simulate`: writes a simulated KITTI object dataset (lib/sim).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli_util.hpp"
#include "command.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/waymo/sim_bridge.hpp"
#include "sim/kitti_writer.hpp"
#include "sim/scene_config.hpp"
#include "sim/sensor.hpp"
#include "sim/simulator.hpp"
#include "sim/stats.hpp"

namespace {

namespace fs = std::filesystem;

// configs/<rel> from $LIDARDET_CONFIG_DIR, the source tree or the installed data folder.
std::string find_config(const std::string& rel) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("LIDARDET_CONFIG_DIR")) dirs.push_back(env);
  dirs.push_back(std::string(LIDARDET_SOURCE_DIR) + "/configs");
  dirs.push_back(std::string(LIDARDET_DEFAULT_DATA_DIR) + "/configs");
  for (const auto& d : dirs)
    if (fs::exists(fs::path(d) / rel)) return (fs::path(d) / rel).string();
  throw lidardet::Error("config " + rel + " not found (looked in $LIDARDET_CONFIG_DIR, " +
                        dirs[dirs.size() - 2] + ", " + dirs.back() + ")");
}

struct Options {
  std::string sensor = "hdl64";
  std::string config;
  std::string out;
  long frames = 10;
  std::uint64_t seed = 0;
  double val_fraction = 0.5;
  int jobs = 1;
  std::string stats;
  std::string format = "kitti";
};

void run(const Options& o) {
  using namespace lidardet;
  if (o.frames < 1 || o.frames > 1000000)
    throw Error("--frames: expected 1..1000000, got " + std::to_string(o.frames));
  if (o.jobs < 1 || o.jobs > 256) throw Error("--jobs: expected 1..256");
  std::string sensor_path;
  if (o.sensor == "hdl64")
    sensor_path = find_config("sim/hdl64.yaml");
  else if (o.sensor == "waymo-top")
    sensor_path = find_config("sim/waymo_top.yaml");
  else if (fs::exists(o.sensor))
    sensor_path = o.sensor;
  else
    throw Error("--sensor: expected hdl64, waymo-top or a sensor YAML file, got '" + o.sensor +
                "'");
  // Each built-in sensor has its dataset's scene statistics (sizes, traffic density).
  const std::string default_scene =
      o.sensor == "waymo-top" ? "sim/scene_waymo.yaml" : "sim/scene.yaml";
  const std::string scene_path = o.config.empty() ? find_config(default_scene) : o.config;
  const sim::Simulator simulator(sim::load_sensor(sensor_path), sim::load_scene_config(scene_path));
  if (o.format == "waymo") {
    // One segment TFRecord of real v1 Frames (compressed range images, calibration, labels).
    fs::create_directories(o.out);
    const std::string ctx = "lidardet_sim_" + std::to_string(o.seed);
    const std::string path = (fs::path(o.out) / waymo::segment_file_name(ctx)).string();
    const auto n = waymo::write_simulated_segment(path, simulator, o.seed,
                                                  static_cast<std::size_t>(o.frames), ctx);
    std::fprintf(stderr, "wrote %zu %s frames to %s\n", n, o.sensor.c_str(), path.c_str());
    return;
  }
  if (o.format != "kitti") throw Error("--format: expected kitti or waymo, got '" + o.format + "'");
  const sim::KittiDatasetWriter writer(o.out, simulator.sensor());

  cli::Progress progress(static_cast<std::size_t>(o.frames));
  std::atomic<long> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex mutex;
  std::string error;
  // The statistics sort their values before summing, so the order frames arrive in from the
  // threads cannot change them.
  sim::PointsPerObjectStats stats;
  // Frames are independent (each one's randomness derives from (seed, index)), so worker
  // threads change nothing in the output.
  auto worker = [&] {
    for (long i = next++; i < o.frames; i = next++) {
      try {
        const sim::SimFrame frame = simulator.simulate(o.seed, i);
        writer.write_frame(static_cast<std::size_t>(i), frame);
        if (!o.stats.empty()) {
          std::lock_guard<std::mutex> lock(mutex);
          stats.add(frame);
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex);
        if (error.empty()) error = e.what();
        next = o.frames;
      }
      const std::size_t d = ++done;
      std::lock_guard<std::mutex> lock(mutex);
      progress.update(d);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < o.jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (!error.empty()) throw Error(error);
  writer.write_splits(static_cast<std::size_t>(o.frames), o.val_fraction, o.seed);
  if (!o.stats.empty()) {
    // data.md 6.4's setting: one object on flat ground, ideal sensor, random yaw and azimuth.
    std::vector<sim::IsolatedRow> isolated;
    for (const char* cls : {"Car", "Pedestrian", "Cyclist"}) {
      const auto rows =
          sim::isolated_points_vs_distance(simulator.sensor(), simulator.scene_config(), cls,
                                           {10, 20, 30, 40, 50, 60, 70}, 30, o.seed);
      isolated.insert(isolated.end(), rows.begin(), rows.end());
    }
    write_file_atomic(o.stats, "# lidardet simulate --sensor " + o.sensor + " --frames " +
                                   std::to_string(o.frames) + " --seed " + std::to_string(o.seed) +
                                   "\n\n## Simulated frames\n\n" + stats.markdown() +
                                   "\n## One object alone, ideal sensor (the data.md 6.4 "
                                   "setting)\n\n" +
                                   sim::isolated_markdown(isolated));
  }
  std::fprintf(stderr, "wrote %ld %s frames to %s (%.1f s)\n", o.frames, o.sensor.c_str(),
               o.out.c_str(), progress.seconds());
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("--sensor", o->sensor, "hdl64, waymo-top, or a sensor YAML file")
      ->capture_default_str();
  sub.add_option("--frames", o->frames, "Number of frames")->capture_default_str();
  sub.add_option("--seed", o->seed, "Random seed (same seed, same dataset)")->capture_default_str();
  sub.add_option("--out", o->out, "Output KITTI root (ImageSets/, training/)")->required();
  sub.add_option("--config", o->config,
                 "Scene YAML (default configs/sim/scene.yaml; scene_waymo.yaml for waymo-top)");
  sub.add_option("--val-fraction", o->val_fraction, "Share of frames listed in val.txt")
      ->capture_default_str();
  sub.add_option("--jobs", o->jobs, "Worker threads (the output does not depend on it)")
      ->capture_default_str();
  sub.add_option("--format", o->format,
                 "kitti (object layout) or waymo (a v1 TFRecord segment, for waymo-top)")
      ->capture_default_str();
  sub.add_option("--stats", o->stats,
                 "Also write points-per-object statistics (markdown) to this file");
  sub.callback([o] { run(*o); });
}

}  // namespace

LIDARDET_COMMAND(simulate, "Simulate a labelled LiDAR dataset in the KITTI layout", setup);
