// Helpers shared by the CPU op files: a [rows, cols] view with strided rows, and the scalar
// activations (the same formulas the CUDA kernels use).
#pragma once
#include <cmath>

#include "nn/backend.hpp"

namespace lidardet::nn::cpu {

struct Rows {
  float* p = nullptr;
  int64_t rows = 0, cols = 0, stride = 0;
  float* row(int64_t i) const { return p + i * stride; }
};

// A host f32 tensor as rows of its last dimension: contiguous of any rank, or 2-D with strided
// rows. Throws lidardet::Error naming op and argument otherwise.
Rows rows_of(const char* op, const char* arg, const Tensor& t);
void expect_host(const char* op, const char* arg, const Tensor& t);

inline float softplus20(float x) { return x > 20.f ? x : std::log1p(std::exp(x)); }
inline float sigmoidf(float x) { return 1.f / (1.f + std::exp(-x)); }
inline float siluf(float x) { return x / (1.f + std::exp(-x)); }

inline float apply_act(Act a, float x) {
  switch (a) {
    case Act::Identity:
      return x;
    case Act::ReLU:
      return x > 0.f ? x : 0.f;
    case Act::GELU:
      return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case Act::SiLU:
      return siluf(x);
    case Act::Sigmoid:
      return sigmoidf(x);
    case Act::Tanh:
      return std::tanh(x);
    case Act::Softplus:
      return softplus20(x);
  }
  return x;
}

}  // namespace lidardet::nn::cpu
