// Helpers for the nn tests: seeded random tensors, comparison with float64 references.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "nn/cpu_backend.hpp"
#include "nn/tensor.hpp"

namespace lidardet::nn::test {

inline Tensor random_tensor(const Shape& s, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(shape_numel(s));
  for (float& x : v) x = d(rng);
  return Tensor::from_vector(s, v);
}

inline std::vector<double> as_double(const Tensor& t) {
  std::vector<float> f = t.to_vector();
  return std::vector<double>(f.begin(), f.end());
}

// Max |a - b| / (1 + |b|) over all elements, with sizes checked.
inline double max_rel_err(const Tensor& got, const std::vector<double>& want) {
  std::vector<float> g = got.to_vector();
  EXPECT_EQ(g.size(), want.size());
  double m = 0;
  for (std::size_t i = 0; i < std::min(g.size(), want.size()); ++i) {
    const double e = std::abs(g[i] - want[i]) / (1.0 + std::abs(want[i]));
    if (!(e <= m)) m = std::isnan(e) ? INFINITY : e;
  }
  return m;
}

inline bool bit_equal(const Tensor& a, const Tensor& b) {
  std::vector<float> x = a.to_vector(), y = b.to_vector();
  return x.size() == y.size() &&
         (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
}

// y[n, m] = sum_k x[n, k] w[m, k] (+ b[m]) in float64.
inline std::vector<double> ref_linear(const std::vector<double>& x, const std::vector<double>& w,
                                      const std::vector<double>* b, int64_t n, int64_t k,
                                      int64_t m) {
  std::vector<double> y(n * m);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      double s = b ? (*b)[j] : 0.0;
      for (int64_t q = 0; q < k; ++q) s += x[i * k + q] * w[j * k + q];
      y[i * m + j] = s;
    }
  return y;
}

inline std::vector<double> ref_layer_norm(const std::vector<double>& x,
                                          const std::vector<double>& g,
                                          const std::vector<double>& b, int64_t n, int64_t c,
                                          double eps) {
  std::vector<double> y(n * c);
  for (int64_t i = 0; i < n; ++i) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < c; ++j) mean += x[i * c + j] / c;
    for (int64_t j = 0; j < c; ++j) var += (x[i * c + j] - mean) * (x[i * c + j] - mean) / c;
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = (x[i * c + j] - mean) / std::sqrt(var + eps) * g[j] + b[j];
  }
  return y;
}

inline double ref_silu(double x) { return x / (1 + std::exp(-x)); }
inline double ref_softplus(double x) { return x > 20 ? x : std::log(1 + std::exp(x)); }
inline double ref_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace lidardet::nn::test
