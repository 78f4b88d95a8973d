#include "voxel/bench_frames.hpp"

#include <cmath>
#include <random>

#include "core/error.hpp"

namespace lidardet {

PointCloud synthetic_frame(const std::string& kind, std::uint32_t seed) {
  struct Sensor {
    int beams, azimuths;
    double elev_lo, elev_hi, mount, max_range;
    bool elongation;
  };
  Sensor s{};
  if (kind == "hdl64")
    s = {64, 1900, -24.8, 2.0, 1.73, 100.0, false};
  else if (kind == "waymo")
    s = {64, 2820, -17.6, 2.5, 2.2, 75.0, true};
  else
    throw Error("synthetic frame kind '" + kind + "' (expected hdl64 or waymo)");
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.02);
  // A wall distance per azimuth sector: a city-like ring of surfaces at 8 .. 60 m.
  const int sectors = 360;
  std::vector<double> wall(sectors);
  for (double& w : wall) w = 8.0 + 52.0 * unit(rng);
  PointCloud cloud(s.elongation ? std::vector<std::string>{"x", "y", "z", "intensity", "elongation"}
                                : std::vector<std::string>{"x", "y", "z", "intensity"});
  cloud.reserve(std::size_t(s.beams) * s.azimuths);
  const double deg = M_PI / 180.0;
  std::vector<float> row(cloud.num_channels());
  for (int b = 0; b < s.beams; ++b) {
    const double elev = (s.elev_lo + (s.elev_hi - s.elev_lo) * b / (s.beams - 1)) * deg;
    for (int a = 0; a < s.azimuths; ++a) {
      if (unit(rng) < 0.02) continue;  // dropouts
      const double az = 2.0 * M_PI * a / s.azimuths;
      const double w = wall[int(az / (2.0 * M_PI) * sectors) % sectors];
      // Range to the ground (downward beams) or to the sector's wall, whichever is nearer.
      double r = w / std::cos(elev);
      if (elev < 0) r = std::min(r, s.mount / std::sin(-elev));
      if (r > s.max_range) continue;
      r += noise(rng);
      const double horiz = r * std::cos(elev);
      row[0] = float(horiz * std::cos(az));
      row[1] = float(horiz * std::sin(az));
      row[2] = float(r * std::sin(elev));  // sensor at the origin
      row[3] = float(unit(rng));
      if (s.elongation) row[4] = float(unit(rng) * 0.3);
      cloud.push_back(row);
    }
  }
  return cloud;
}

}  // namespace lidardet
