// Seeded random numbers whose values depend only on the seed: the engine is std::mt19937_64
// (its output is fixed by the standard), and the distributions are our own, because libstdc++'s
// std::uniform_real_distribution / std::normal_distribution may change between versions.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>

namespace lidardet::sim {

// SplitMix64 finaliser: derives independent sub-seeds (frame k of seed S, object i, ...).
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t bits() { return engine_(); }
  // Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [lo, hi] (inclusive); the modulo bias is below 2^-40 for the small ranges used.
  int uniform_int(int lo, int hi) {
    return lo + static_cast<int>(bits() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool bernoulli(double p) { return uniform() < p; }
  // Box-Muller, one value per call (no cached second value, so call order alone fixes results).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  // Normal truncated to mean +- k stddev by clamping (sizes must stay physical).
  double clamped_normal(double mean, double stddev, double k = 2.5) {
    const double v = normal();
    return mean + stddev * std::fmax(-k, std::fmin(k, v));
  }
  // Poisson by Knuth's product method; fine for the small means of object counts.
  int poisson(double mean) {
    if (mean <= 0) return 0;
    const double limit = std::exp(-mean);
    double p = uniform();
    int k = 0;
    while (p > limit) {
      ++k;
      p *= uniform();
    }
    return k;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace lidardet::sim
