// `lidardet bench voxel`: per-voxel means of the same points at the same voxel size, timed in
// one process: lidardet's CPU voxelizer, pcl::VoxelGrid, Open3D's VoxelDownSample and (with a
// GPU) the CUDA voxelizer. Prints the median milliseconds of each; --json writes them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_util.hpp"
#include "command.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "voxel/bench_frames.hpp"
#include "voxel/cpu_features.hpp"
#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"

#ifdef LIDARDET_HAVE_PCL
#include <pcl/filters/voxel_grid.h>
#include <pcl/point_types.h>
#endif
#ifdef LIDARDET_HAVE_OPEN3D
#include <open3d/geometry/PointCloud.h>
#endif
#ifdef LIDARDET_HAVE_CUDA
#include "core/device.hpp"
#include "voxel/cuda_voxelizer.hpp"
#endif

namespace {

using lidardet::Error;

struct Options {
  std::string input, synthetic = "", voxel_size = "0.2,0.2,0.2", json, write_frame;
  int channels = 4, repeat = 20, threads = 1;
  unsigned seed = 1;
  bool keep_origin = false;
  bool no_avx2 = false;
  bool interleave = false;
};

struct Result {
  std::optional<double> median_ms;
  double median_cpu_ms = 0;  // CPU time of the calling thread: one core, whatever the load
  std::size_t voxels = 0;
  std::string note;
};

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Median wall and calling-thread CPU time of `repeat` calls of each library, after two warm-up
// calls each; `f` returns the voxel count. The CPU time is the one-core cost. By default each
// library's calls run back to back (warm caches and heap, as in a benchmark loop); with
// `interleave` every round calls each library once in turn, so that a change of machine load
// affects all alike, and each call starts from caches and a heap the others have used.
using Timed = std::vector<std::pair<std::string, std::function<std::size_t()>>>;
void time_libraries(int repeat, bool interleave, const Timed& timed,
                    std::map<std::string, Result>& results) {
  std::vector<std::vector<double>> ms(timed.size()), cpu(timed.size());
  auto call = [&](std::size_t k) {
    const double c0 = thread_cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    results[timed[k].first].voxels = timed[k].second();
    ms[k].push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu[k].push_back(thread_cpu_ms() - c0);
  };
  if (interleave) {
    for (const auto& [name, f] : timed) f(), f();
    for (int i = 0; i < repeat; ++i)
      for (std::size_t k = 0; k < timed.size(); ++k) call(k);
  } else {
    for (std::size_t k = 0; k < timed.size(); ++k) {
      timed[k].second(), timed[k].second();
      for (int i = 0; i < repeat; ++i) call(k);
    }
  }
  for (std::size_t k = 0; k < timed.size(); ++k) {
    Result& r = results[timed[k].first];
    r.median_ms = median(ms[k]);
    r.median_cpu_ms = median(cpu[k]);
  }
}

lidardet::PointCloud load_frame(const Options& o) {
  if (!o.synthetic.empty()) return lidardet::synthetic_frame(o.synthetic, o.seed);
  if (o.input.empty()) throw Error("bench voxel: give --input FRAME.bin or --synthetic KIND");
  if (o.channels < 3 || o.channels > 16)
    throw Error("option --channels: " + std::to_string(o.channels) + " (expected 3 .. 16)");
  const std::string bytes = lidardet::read_file_bytes(o.input);
  const std::size_t row = 4 * std::size_t(o.channels);
  if (bytes.size() % row)
    throw Error(o.input + ": " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                std::to_string(o.channels) + "-float points (--channels)");
  std::vector<std::string> names = {"x", "y", "z"};
  for (int c = 3; c < o.channels; ++c)
    names.push_back(c == 3 ? "intensity" : "f" + std::to_string(c));
  lidardet::PointCloud cloud(names, bytes.size() / row);
  std::memcpy(cloud.data(), bytes.data(), bytes.size());
  // Drop non-finite points so that every library sees the same, valid input.
  std::vector<bool> keep(cloud.size());
  for (std::size_t i = 0; i < cloud.size(); ++i)
    keep[i] =
        std::isfinite(cloud(i, 0)) && std::isfinite(cloud(i, 1)) && std::isfinite(cloud(i, 2));
  return cloud.filtered(keep);
}

// Moves the frame so that its minimum corner sits at half a voxel on every axis. Then the three
// libraries cut the same cells: Open3D anchors its grid at min - size / 2 (so at 0), PCL at
// floor(min / leaf) * leaf (also 0), and covering_config below at min - size / 2. Without this,
// PCL's cells are shifted against the others: on the Waymo-like frame its z boundary at -2.2 m
// (-11 leaves) runs through the ground returns (z -2.22 .. -2.10), which doubles the ground
// voxels (58,671 voxels instead of 45,216; docs/perf/voxel.md). All libraries get the moved
// points, so they still see one and the same point set.
void align_to_grid(lidardet::PointCloud& c, const std::vector<double>& size) {
  if (c.empty()) return;
  for (int a = 0; a < 3; ++a) {
    float lo = c(0, a);
    for (std::size_t i = 1; i < c.size(); ++i) lo = std::min(lo, c(i, a));
    const double shift = size[a] / 2 - double(lo);
    for (std::size_t i = 0; i < c.size(); ++i) c(i, a) = float(double(c(i, a)) + shift);
  }
}

// A grid whose range holds every point (half a voxel of margin), so that no library drops any.
lidardet::VoxelizerConfig covering_config(const lidardet::PointCloud& c,
                                          const std::vector<double>& size) {
  lidardet::VoxelizerConfig cfg;
  float lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
  for (int a = 0; a < 3; ++a) {
    if (c.empty()) continue;
    lo[a] = hi[a] = c(0, a);
    for (std::size_t i = 1; i < c.size(); ++i)
      lo[a] = std::min(lo[a], c(i, a)), hi[a] = std::max(hi[a], c(i, a));
  }
  for (int a = 0; a < 3; ++a) {
    const double n = std::floor((double(hi[a]) - lo[a]) / size[a]) + 2;
    cfg.range[a] = float(lo[a] - size[a] / 2);
    cfg.range[a + 3] = float(cfg.range[a] + n * size[a]);
    cfg.voxel_size[a] = float(size[a]);
  }
  cfg.filter_range = cfg.range;
  cfg.finalize("--voxel-size");
  return cfg;
}

void run(const Options& o) {
  const std::vector<double> size = lidardet::cli::parse_list(o.voxel_size, "--voxel-size", 3);
  for (double s : size)
    if (!(s > 0)) throw Error("option --voxel-size: sizes must be positive");
  if (o.repeat < 1) throw Error("option --repeat: must be at least 1");
  lidardet::PointCloud cloud = load_frame(o);
  if (!o.keep_origin) align_to_grid(cloud, size);
  if (!o.write_frame.empty())
    lidardet::write_file_atomic(o.write_frame,
                                std::string_view(reinterpret_cast<const char*>(cloud.data()),
                                                 cloud.size() * cloud.num_channels() * 4));
  const lidardet::VoxelizerConfig cfg = covering_config(cloud, size);
  const std::vector<lidardet::PointCloudView> batch = {cloud.view()};
  std::map<std::string, Result> results;

  Timed timed;

  // A real-time pipeline keeps its buffers between frames; so does this timing.
  lidardet::Voxels voxels;
  lidardet::VoxelWorkspace workspace;
  workspace.use_avx2 = !o.no_avx2;
  std::vector<float> means;
  // Voxels (with every point's voxel and the per-voxel point lists) and their means in one call.
  timed.emplace_back("lidardet_cpu", [&] {
    lidardet::voxelize_into(voxels, workspace, batch, cfg, o.threads, lidardet::UniqueMethod::kHash,
                            &means);
    return means.size() / 3;
  });

#ifdef LIDARDET_HAVE_PCL
  pcl::PointCloud<pcl::PointXYZ>::Ptr pcl_in(new pcl::PointCloud<pcl::PointXYZ>);
  pcl_in->resize(cloud.size());
  for (std::size_t i = 0; i < cloud.size(); ++i)
    (*pcl_in)[i] = pcl::PointXYZ(cloud(i, 0), cloud(i, 1), cloud(i, 2));
  pcl::PointCloud<pcl::PointXYZ> pcl_out;
  timed.emplace_back("pcl_voxelgrid", [&] {
    pcl::VoxelGrid<pcl::PointXYZ> grid;
    grid.setInputCloud(pcl_in);
    grid.setLeafSize(float(size[0]), float(size[1]), float(size[2]));
    grid.filter(pcl_out);
    return std::size_t(pcl_out.size());
  });
#else
  results["pcl_voxelgrid"].note = "PCL not found at build time";
#endif

#ifdef LIDARDET_HAVE_OPEN3D
  open3d::geometry::PointCloud o3d_in;
  if (size[0] == size[1] && size[1] == size[2]) {
    o3d_in.points_.resize(cloud.size());
    for (std::size_t i = 0; i < cloud.size(); ++i)
      o3d_in.points_[i] = Eigen::Vector3d(cloud(i, 0), cloud(i, 1), cloud(i, 2));
    timed.emplace_back("open3d_voxel_down_sample",
                       [&] { return o3d_in.VoxelDownSample(size[0])->points_.size(); });
  } else {
    results["open3d_voxel_down_sample"].note = "Open3D takes one voxel size (cubic voxels only)";
  }
#else
  results["open3d_voxel_down_sample"].note = "Open3D not found at build time";
#endif

#ifdef LIDARDET_HAVE_CUDA
  std::unique_ptr<lidardet::cuda::CudaVoxelizer> gpu;
  if (lidardet::cuda::device_available()) {
    gpu = std::make_unique<lidardet::cuda::CudaVoxelizer>(cfg);
    gpu->upload(batch);  // points stay on the device: the timing is the device voxelization
    timed.emplace_back("lidardet_cuda", [&] {
      gpu->run(false);
      return gpu->num_voxels();
    });
  } else {
    results["lidardet_cuda"].note = lidardet::cuda::device_description();
  }
#else
  results["lidardet_cuda"].note = "built without the CUDA backend";
#endif
  time_libraries(o.repeat, o.interleave, timed, results);

  const bool avx2 = workspace.use_avx2 && lidardet::cpu_has_avx2();
  std::printf(
      "points %zu, voxel size %g %g %g, %d repeats (%s), %d CPU thread(s), lidardet %s code, %s; "
      "ratios are to lidardet_cpu\n",
      cloud.size(), size[0], size[1], size[2], o.repeat,
      o.interleave ? "libraries in turn" : "each library's back to back", o.threads,
      avx2 ? "AVX2" : "baseline",
      o.keep_origin ? "frame as read" : "frame moved so that all libraries share one grid");
  const double base = results["lidardet_cpu"].median_ms.value_or(0);
  const double base_cpu = results["lidardet_cpu"].median_cpu_ms;
  nlohmann::json j;
  j["input"] =
      o.synthetic.empty() ? o.input : "synthetic:" + o.synthetic + ":" + std::to_string(o.seed);
  j["points"] = cloud.size();
  j["voxel_size"] = size;
  j["repeats"] = o.repeat;
  j["threads"] = o.threads;
  j["aligned_to_grid"] = !o.keep_origin;
  j["lidardet_avx2"] = avx2;
  j["interleaved"] = o.interleave;
  for (const char* name :
       {"lidardet_cpu", "pcl_voxelgrid", "open3d_voxel_down_sample", "lidardet_cuda"}) {
    const Result& r = results[name];
    nlohmann::json e;
    if (r.median_ms) {
      std::printf("%-26s %9.3f ms wall (%.2fx)  %9.3f ms thread CPU (%.2fx)  %8zu voxels\n", name,
                  *r.median_ms, base > 0 ? *r.median_ms / base : 0.0, r.median_cpu_ms,
                  base_cpu > 0 ? r.median_cpu_ms / base_cpu : 0.0, r.voxels);
      e["median_ms"] = *r.median_ms;
      e["median_thread_cpu_ms"] = r.median_cpu_ms;
      e["voxels"] = r.voxels;
    } else {
      std::printf("%-26s   skipped: %s\n", name, r.note.c_str());
      e["median_ms"] = nullptr;
      e["note"] = r.note;
    }
    j["results"][name] = e;
  }
  if (!o.json.empty()) lidardet::write_file_atomic(o.json, j.dump(2) + "\n");
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("--input", o->input, "Point file: float32 rows of --channels values (KITTI .bin)");
  sub.add_option("--channels", o->channels, "Floats per point in --input (default 4)");
  sub.add_option("--synthetic", o->synthetic,
                 "Instead of --input, a seeded frame: hdl64 (~120k points) or waymo (~180k)");
  sub.add_option("--seed", o->seed, "Seed of the --synthetic frame (default 1)");
  sub.add_option("--write-frame", o->write_frame, "Also write the frame used as a .bin file");
  sub.add_option("--voxel-size", o->voxel_size, "X,Y,Z metres (default 0.2,0.2,0.2)");
  sub.add_option("--repeat", o->repeat, "Timed runs per library (default 20)");
  sub.add_flag("--interleave", o->interleave,
               "Call the libraries in turn, once per round, instead of each one's runs back to "
               "back");
  sub.add_option("--threads", o->threads, "CPU threads of lidardet's voxelizer (default 1)");
  sub.add_option("--json", o->json, "Write the medians as JSON");
  sub.add_flag("--keep-origin", o->keep_origin,
               "Do not move the frame onto a common grid (PCL's cells then differ from the "
               "others')");
  sub.add_flag("--no-avx2", o->no_avx2,
               "Time lidardet's baseline x86-64 code even where the CPU has AVX2 (same results)");
  sub.callback([o] { run(*o); });
}

}  // namespace

LIDARDET_SUBCOMMAND(bench, voxel, "Time voxel means: lidardet CPU/CUDA vs PCL and Open3D", setup);
