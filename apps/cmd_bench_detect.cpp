// lidardet bench detect: median wall time of each detector stage and of the whole frame, over
// --repeat runs after --warmup runs on one frame (the same frame every run). With --backend
// cuda the Detector synchronises the device around every stage clock (docs/backends.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "command.hpp"
#include "core/atomic_file.hpp"
#include "detector_input.hpp"
#include "models/default_model.hpp"
#include "models/detector.hpp"
#ifdef LIDARDET_HAVE_CUDA
#include "core/device.hpp"
#endif

namespace {
using namespace lidardet;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Opts {
  std::string config, weights, input, backend = "cpu", json;
  int repeat = 20, warmup = 2;
};

void run(const Opts& o) {
  if (o.repeat < 1 || o.warmup < 0) throw Error("--repeat must be >= 1 and --warmup >= 0");
  const ModelFiles files = resolve_model_files(o.config, o.weights, cli::model_roots());
  DetectorOptions dopt;
  if (o.backend == "cuda")
    dopt.backend = DetectorBackend::Cuda;
  else if (o.backend != "cpu")
    throw Error("option --backend: '" + o.backend + "' (expected cpu or cuda)");
  Detector det(files.config, files.weights, dopt);
  const PointCloud cloud = cli::read_detector_frame(o.input);
  for (int i = 0; i < o.warmup; ++i) det.detect(cloud);
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> ms;
  std::vector<double> total;
  std::size_t boxes = 0;
  for (int i = 0; i < o.repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    boxes = det.detect(cloud).size();
    total.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    for (const auto& t : det.last_timings()) {
      if (!ms.count(t.stage)) order.push_back(t.stage);
      ms[t.stage].push_back(t.ms);
    }
  }
  std::string device = "host";
#ifdef LIDARDET_HAVE_CUDA
  if (dopt.backend == DetectorBackend::Cuda) device = cuda::device_description();
#endif
  std::printf("%s on %s (%zu points, %zu boxes), backend %s (%s), median of %d runs:\n",
              files.config.c_str(), o.input.c_str(), cloud.size(), boxes,
              det.backend_name().c_str(), device.c_str(), o.repeat);
  nlohmann::json j;
  j["device"] = device;
  j["config"] = files.config;
  j["weights"] = files.weights;
  j["input"] = o.input;
  j["backend"] = det.backend_name();
  j["repeat"] = o.repeat;
  for (const auto& s : order) {
    const double m = median(ms[s]);
    std::printf("  %-16s %9.3f ms\n", s.c_str(), m);
    j["stages_ms"][s] = m;
  }
  const double e2e = median(total);
  std::printf("  %-16s %9.3f ms\n", "end_to_end", e2e);
  j["end_to_end_ms"] = e2e;
  if (!o.json.empty()) write_file_atomic(o.json, j.dump(2) + "\n");
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Opts>();
  sub.add_option("--config", o->config, "Model config (default: the shipped model)");
  sub.add_option("--weights", o->weights, "Weights (.safetensors or .pth)");
  sub.add_option("--input", o->input, "One frame (.bin/.pcd/.ply, or an N x 4|5 float .npy)")
      ->required();
  sub.add_option("--backend", o->backend, "cpu or cuda");
  sub.add_option("--repeat", o->repeat, "Timed runs (default 20)");
  sub.add_option("--warmup", o->warmup, "Untimed runs first (default 2)");
  sub.add_option("--json", o->json, "Write the medians as JSON");
  sub.callback([o] { run(*o); });
}
}  // namespace

LIDARDET_SUBCOMMAND(bench, detect, "Median per-stage and end-to-end detector latency", setup);
