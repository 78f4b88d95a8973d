// Points-per-object statistics: over simulated frames (per class and distance bin), and in the
// isolated setting of data.md 6.4 (one object on flat ground, no noise, no dropout, random
// yaw and azimuth) so the two can be set beside the spec's table.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/simulator.hpp"

namespace lidardet::sim {

struct Summary {
  std::size_t count = 0;
  double mean = 0, p10 = 0, median = 0, p90 = 0;
};
// Mean and nearest-rank percentiles of the values (sorted internally).
Summary summarize(std::vector<double> values);

class PointsPerObjectStats {
 public:
  explicit PointsPerObjectStats(double bin_width = 10, double max_distance = 80)
      : bin_(bin_width), max_(max_distance) {}
  // Adds the frame's objects with at least one ray on them (ideal_points > 0).
  void add(const SimFrame& frame);
  // Markdown: class, distance bin, objects, points in box (mean [p10-p90]), ideal points
  // (mean), mean visible fraction; plus per-frame point and object counts.
  std::string markdown() const;

 private:
  double bin_, max_;
  std::map<std::pair<std::string, int>, std::vector<double>> in_box_, ideal_, visible_;
  std::vector<double> frame_points_, frame_objects_, frame_labelled_;
};

struct IsolatedRow {
  std::string cls;
  double distance = 0;
  Summary points;
};

// For each distance, `samples` placements of one object (mean size) at a random azimuth and
// yaw: returns on the object with an ideal (noise- and dropout-free) copy of the sensor.
std::vector<IsolatedRow> isolated_points_vs_distance(const SensorSpec& sensor,
                                                     const SceneConfig& config,
                                                     const std::string& cls,
                                                     const std::vector<double>& distances,
                                                     int samples, std::uint64_t seed);

// Markdown table of isolated rows: class, distance, mean [p10-p90].
std::string isolated_markdown(const std::vector<IsolatedRow>& rows);

}  // namespace lidardet::sim
