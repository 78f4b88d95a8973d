#include "sim/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/rng.hpp"
#include "sim/scene_generator.hpp"

namespace lidardet::sim {

Summary summarize(std::vector<double> v) {
  Summary s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;  // sorted order: a fixed summation order
  s.mean = sum / v.size();
  auto rank = [&](double q) {
    const std::size_t k = static_cast<std::size_t>(std::ceil(q * v.size()));
    return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
  };
  s.p10 = rank(0.1);
  s.median = rank(0.5);
  s.p90 = rank(0.9);
  return s;
}

void PointsPerObjectStats::add(const SimFrame& frame) {
  int labelled = 0;
  for (const SimObject& o : frame.objects) {
    labelled += o.labelled && !o.dont_care;
    if (o.ideal_points == 0 || o.distance >= max_) continue;
    const auto key = std::make_pair(o.kitti_class, static_cast<int>(o.distance / bin_));
    in_box_[key].push_back(o.points_in_box);
    ideal_[key].push_back(o.ideal_points);
    visible_[key].push_back(o.visible_fraction);
  }
  frame_points_.push_back(static_cast<double>(frame.points.size()));
  frame_objects_.push_back(static_cast<double>(frame.objects.size()));
  frame_labelled_.push_back(labelled);
}

std::string PointsPerObjectStats::markdown() const {
  std::string out;
  char line[256];
  const Summary pts = summarize(frame_points_), objs = summarize(frame_objects_),
                lab = summarize(frame_labelled_);
  std::snprintf(line, sizeof line,
                "frames: %zu; points per frame: mean %.0f [p10 %.0f, p90 %.0f]; objects per "
                "frame (360 deg): mean %.1f; KITTI-labelled per frame (camera FOV, not "
                "DontCare): mean %.2f\n\n",
                pts.count, pts.mean, pts.p10, pts.p90, objs.mean, lab.mean);
  out += line;
  out +=
      "| class | distance (m) | objects | points in box: mean [p10-p90] | ideal (unoccluded, "
      "no dropout): mean | visible fraction: mean |\n|---|---|---|---|---|---|\n";
  for (const auto& [key, values] : in_box_) {
    const Summary s = summarize(values), ideal = summarize(ideal_.at(key)),
                  vis = summarize(visible_.at(key));
    std::snprintf(line, sizeof line, "| %s | %d-%d | %zu | %.0f [%.0f-%.0f] | %.0f | %.2f |\n",
                  key.first.c_str(), static_cast<int>(key.second * bin_),
                  static_cast<int>((key.second + 1) * bin_), s.count, s.mean, s.p10, s.p90,
                  ideal.mean, vis.mean);
    out += line;
  }
  return out;
}

std::vector<IsolatedRow> isolated_points_vs_distance(const SensorSpec& sensor,
                                                     const SceneConfig& config,
                                                     const std::string& cls,
                                                     const std::vector<double>& distances,
                                                     int samples, std::uint64_t seed) {
  SensorSpec ideal = sensor;
  ideal.azimuth_jitter = ideal.range_noise_stddev = ideal.intensity_noise_stddev = 0;
  ideal.dropout_base = ideal.grazing_dropout = ideal.dark_dropout = 0;
  SceneConfig flat = config;
  flat.ground_roughness = 0;
  const Simulator sim(ideal, flat);
  Rng rng(seed);
  std::vector<IsolatedRow> rows;
  for (double d : distances) {
    std::vector<double> counts;
    for (int k = 0; k < samples; ++k) {
      const double az = rng.uniform(-M_PI, M_PI), yaw = rng.uniform(-M_PI, M_PI);
      const Scene scene =
          isolated_object_scene(flat, cls, ideal.mount_x + d * std::cos(az),
                                ideal.mount_y + d * std::sin(az), yaw, mix_seed(seed, k));
      const SimFrame f = sim.simulate_scene(scene, 0);
      counts.push_back(f.objects.empty() ? 0 : f.objects[0].object_points);
    }
    rows.push_back({cls, d, summarize(counts)});
  }
  return rows;
}

std::string isolated_markdown(const std::vector<IsolatedRow>& rows) {
  std::string out =
      "| class | distance (m) | samples | returns on the object: mean [p10-p90] |\n"
      "|---|---|---|---|\n";
  char line[160];
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "| %s | %.0f | %zu | %.0f [%.0f-%.0f] |\n", r.cls.c_str(),
                  r.distance, r.points.count, r.points.mean, r.points.p10, r.points.p90);
    out += line;
  }
  return out;
}

}  // namespace lidardet::sim
