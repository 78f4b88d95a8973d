#include "sim/scene.hpp"

#include <cmath>

#include "sim/rng.hpp"

namespace lidardet::sim {

namespace {
// Value in [-1, 1] for an integer lattice point, from a hash of (seed, i, j).
double lattice(std::uint64_t seed, long i, long j) {
  const std::uint64_t h =
      mix_seed(mix_seed(seed, static_cast<std::uint64_t>(i)), static_cast<std::uint64_t>(j));
  return static_cast<double>(h >> 11) * 0x1.0p-52 - 1.0;
}
}  // namespace

// Bilinear value noise on a 0.5 m lattice: bumps of road-surface size.
double Ground::height(double x, double y) const {
  double h = smooth_height(x, y);
  if (roughness <= 0) return h;
  const double cell = 0.5;
  const double fx = x / cell, fy = y / cell;
  const long i = static_cast<long>(std::floor(fx)), j = static_cast<long>(std::floor(fy));
  const double ax = fx - i, ay = fy - j;
  const double v00 = lattice(texture_seed, i, j), v10 = lattice(texture_seed, i + 1, j);
  const double v01 = lattice(texture_seed, i, j + 1), v11 = lattice(texture_seed, i + 1, j + 1);
  const double v = (v00 * (1 - ax) + v10 * ax) * (1 - ay) + (v01 * (1 - ax) + v11 * ax) * ay;
  return h + roughness * v;
}

}  // namespace lidardet::sim
