// Evaluator speed on data-set-sized synthetic runs: KITTI val (3769 frames, ~20 GT and ~60
// detections each) through evaluate_kitti on one core (and a 200-frame subset against the plain
// reference path), and Waymo val (40,000 frames, 50 GT and
// 100 predictions each) through evaluate_waymo on two threads. The baselines in the same process
// compute every same-class pairwise 3D IoU once with core/geometry (the unavoidable work), so the
// ratio says what matching, cutoffs and curves cost on top.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "core/geometry.hpp"
#include "eval/kitti_eval.hpp"
#include "eval/kitti_eval_reference.hpp"
#include "eval/waymo_eval.hpp"

namespace {
using namespace lidardet;

constexpr int kKittiFrames = 3769;
constexpr int kWaymoFrames = 40000;
constexpr int kWaymoGt = 50, kWaymoPred = 100;

const std::vector<eval::KittiEvalFrame>& kitti_frames() {
  static const auto frames = [] {
    std::mt19937 rng(1);
    std::uniform_real_distribution<double> u(0, 1);
    const char* cls[3] = {"Car", "Pedestrian", "Cyclist"};
    const double size[3][3] = {{1.5, 1.6, 3.9}, {1.75, 0.6, 0.8}, {1.7, 0.6, 1.8}};  // h w l
    std::vector<eval::KittiEvalFrame> out(kKittiFrames);
    for (int f = 0; f < kKittiFrames; ++f) {
      auto& fr = out[f];
      fr.id = std::to_string(f);
      for (int i = 0; i < 20; ++i) {
        const int c = i < 14 ? 0 : i < 18 ? 1 : 2;
        KittiObject g;
        g.type = cls[c];
        g.h = size[c][0], g.w = size[c][1], g.l = size[c][2];
        g.x = -20 + 40 * u(rng), g.y = 1.7, g.z = 5 + 55 * u(rng);
        g.ry = -3 + 6 * u(rng);
        g.alpha = g.ry - std::atan2(g.x, g.z);
        const double left = 600 + 700 * g.x / g.z, hpx = 720 * g.h / g.z;
        g.bbox = {left - hpx * 0.6, 180 - hpx * 0.5, left + hpx * 0.6, 180 + hpx * 0.5};
        g.occluded = static_cast<int>(rng() % 3);
        g.truncated = 0.1 * u(rng);
        fr.gt.push_back(g);
        for (int k = 0; k < 3; ++k) {  // two noisy detections and one false alarm per GT
          KittiObject d = g;
          d.truncated = -1, d.occluded = -1;
          d.x += 0.3 * (u(rng) - 0.5), d.z += 0.5 * (u(rng) - 0.5) + (k == 2 ? 8 : 0);
          d.ry += 0.2 * (u(rng) - 0.5);
          for (auto& b : d.bbox) b += 6 * (u(rng) - 0.5);
          d.score = u(rng), d.has_score = true;
          fr.det.push_back(d);
        }
      }
    }
    return out;
  }();
  return frames;
}

struct WaymoData {
  std::vector<waymo::WaymoObject> gt, pred;
};

const WaymoData& waymo_data() {
  static const WaymoData data = [] {
    std::mt19937 rng(2);
    std::uniform_real_distribution<double> u(0, 1);
    WaymoData d;
    d.gt.reserve(static_cast<std::size_t>(kWaymoFrames) * kWaymoGt);
    d.pred.reserve(static_cast<std::size_t>(kWaymoFrames) * kWaymoPred);
    for (int f = 0; f < kWaymoFrames; ++f) {
      const std::string ctx = "seg" + std::to_string(f / 200);
      for (int i = 0; i < kWaymoGt; ++i) {
        waymo::WaymoObject g;
        g.context_name = ctx;
        g.frame_timestamp_micros = f;
        const int t = i < 30 ? 1 : i < 45 ? 2 : i < 48 ? 4 : 3;
        g.type = static_cast<waymo::WaymoType>(t);
        const double l = t == 1 ? 4.6 : t == 3 ? 0.3 : 0.9, w = t == 1 ? 2.0 : 0.8;
        g.box = {150 * (u(rng) - 0.5), 150 * (u(rng) - 0.5), 1, l, w, 1.7, 6 * u(rng) - 3, "", 1};
        g.num_lidar_points_in_box = static_cast<int>(rng() % 300);
        d.gt.push_back(g);
        for (int k = 0; k < 2; ++k) {  // a noisy detection and a duplicate or false alarm
          waymo::WaymoObject p = g;
          p.num_lidar_points_in_box = 0;
          p.box.x += 0.4 * (u(rng) - 0.5) + (k == 1 && i % 2 ? 20 : 0);
          p.box.y += 0.4 * (u(rng) - 0.5);
          p.box.yaw += 0.3 * (u(rng) - 0.5);
          p.score = static_cast<float>(u(rng));
          d.pred.push_back(p);
        }
      }
    }
    return d;
  }();
  return data;
}

void BM_KittiValEvaluate(benchmark::State& state) {
  const auto& frames = kitti_frames();
  for (auto _ : state) benchmark::DoNotOptimize(eval::evaluate_kitti(frames));
  state.counters["frames"] = kKittiFrames;
}
BENCHMARK(BM_KittiValEvaluate)->Unit(benchmark::kMillisecond)->Iterations(2);

// The same evaluation on the first 200 frames, fast path against the plain §A5 transcription
// (dense, every detection for every GT at every threshold): the ratio of the two in one process.
const std::vector<eval::KittiEvalFrame>& kitti_subset() {
  static const std::vector<eval::KittiEvalFrame> frames(kitti_frames().begin(),
                                                        kitti_frames().begin() + 200);
  return frames;
}

void BM_KittiSubset200Evaluate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(eval::evaluate_kitti(kitti_subset()));
}
BENCHMARK(BM_KittiSubset200Evaluate)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_KittiSubset200Reference(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(eval::evaluate_kitti_reference(kitti_subset()));
}
BENCHMARK(BM_KittiSubset200Reference)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_KittiValPairwiseIouBaseline(benchmark::State& state) {
  const auto& frames = kitti_frames();
  for (auto _ : state) {
    double s = 0;
    for (const auto& f : frames)
      for (const auto& d : f.det)
        for (const auto& g : f.gt) {
          if (d.type != g.type) continue;
          const Box3D a{d.x, d.z, d.y, d.l, d.w, d.h, d.ry, "", 1},
              b{g.x, g.z, g.y, g.l, g.w, g.h, g.ry, "", 1};
          s += iou_3d(a, b);
        }
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_KittiValPairwiseIouBaseline)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_WaymoValEvaluate(benchmark::State& state) {
  const auto& d = waymo_data();
  eval::WaymoEvalOptions opt;
  opt.threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(eval::evaluate_waymo(d.gt, d.pred, opt));
  state.counters["frames"] = kWaymoFrames;
}
BENCHMARK(BM_WaymoValEvaluate)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

void BM_WaymoValPairwiseIouBaseline(benchmark::State& state) {
  const auto& d = waymo_data();
  for (auto _ : state) {
    double s = 0;
    // Predictions and GT are stored frame by frame in this data set.
    for (int f = 0; f < kWaymoFrames; ++f)
      for (int i = 0; i < kWaymoPred; ++i)
        for (int j = 0; j < kWaymoGt; ++j) {
          const auto& p = d.pred[static_cast<std::size_t>(f) * kWaymoPred + i];
          const auto& g = d.gt[static_cast<std::size_t>(f) * kWaymoGt + j];
          if (p.type == g.type) s += iou_3d(p.box, g.box);
        }
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_WaymoValPairwiseIouBaseline)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
