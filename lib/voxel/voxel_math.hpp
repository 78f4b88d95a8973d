// Per-point arithmetic shared by the CPU and CUDA voxelizers. Every float operation is spelled
// out with round-to-nearest intrinsics on the device (no FMA contraction), so both backends
// produce the same bits.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define LIDARDET_HD __host__ __device__
#else
#define LIDARDET_HD
#endif

namespace lidardet {

LIDARDET_HD inline float f_sub(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
LIDARDET_HD inline float f_add(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
LIDARDET_HD inline float f_mul(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
LIDARDET_HD inline float f_div(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
LIDARDET_HD inline double d_add(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
LIDARDET_HD inline double d_mul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
LIDARDET_HD inline double d_div(double a, double b) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}

// The grid in plain numbers, copyable to the device.
struct GridParams {
  float min[3], size[3];
  float filter_min[3], filter_max[3];
  int grid[3];
  int strict_clamp;  // RangeRule::kStrictClamp
  int order_zyx;     // VoxelOrder::kZYX
};

// Cell of a point, or false when the range rule drops it (NaN and infinities are dropped).
LIDARDET_HD inline bool point_cell(float x, float y, float z, const GridParams& g, int cell[3]) {
  const float p[3] = {x, y, z};
  for (int a = 0; a < 3; ++a) {
    if (g.strict_clamp && !(p[a] > g.filter_min[a] && p[a] < g.filter_max[a])) return false;
    const float f = floorf(f_div(f_sub(p[a], g.min[a]), g.size[a]));
    if (g.strict_clamp) {
      cell[a] = f < 0.0f ? 0 : f > float(g.grid[a] - 1) ? g.grid[a] - 1 : int(f);
    } else {
      if (!(f >= 0.0f && f < float(g.grid[a]))) return false;
      cell[a] = int(f);
    }
  }
  return true;
}

// The cell key's layout: the axes from the fastest-varying to the slowest (x, y, z for
// kZYX, whose ascending keys run z-major; z, y, x otherwise), the sample above them all. Every
// key encoder and decoder, CPU and CUDA, takes the layout from here.
struct KeyAxes {
  int axis[3];  // 0 = x, 1 = y, 2 = z; innermost first
};
LIDARDET_HD inline KeyAxes key_axes(const GridParams& g) {
  return g.order_zyx ? KeyAxes{{0, 1, 2}} : KeyAxes{{2, 1, 0}};
}

// Linear key of a cell of sample b; ascending keys give the configured voxel order.
LIDARDET_HD inline std::uint64_t cell_key(int b, const int c[3], const GridParams& g) {
  using u = std::uint64_t;
  const KeyAxes k = key_axes(g);
  const int* ax = k.axis;
  u key = u(b);
  for (int i = 2; i >= 0; --i) key = key * u(g.grid[ax[i]]) + u(c[ax[i]]);
  return key;
}

// Inverse of cell_key: writes (b, z, y, x).
LIDARDET_HD inline void key_to_coord(std::uint64_t key, const GridParams& g, std::int32_t out[4]) {
  using u = std::uint64_t;
  const KeyAxes k = key_axes(g);
  const int* ax = k.axis;
  int c[3];
  for (int i = 0; i < 3; ++i) c[ax[i]] = int(key % u(g.grid[ax[i]])), key /= u(g.grid[ax[i]]);
  out[0] = int(key), out[1] = c[2], out[2] = c[1], out[3] = c[0];
}

// Centre of a cell along one axis, as the references compute it in float32:
// coord * size + (size / 2 + min).
LIDARDET_HD inline float cell_center(int coord, int axis, const GridParams& g) {
  return f_add(f_mul(float(coord), g.size[axis]), f_add(f_mul(g.size[axis], 0.5f), g.min[axis]));
}

// tanh(x) rounded to float, from + - * / only (evaluated in double), so that host and device
// agree bit for bit; the double result is within a few 1e-16 of the true value.
LIDARDET_HD inline float portable_tanh(float xf) {
  const double x = xf;
  const double ax = x < 0 ? -x : x;
  if (!(ax == ax)) return xf;  // NaN
  if (ax > 20.0) return x < 0 ? -1.0f : 1.0f;
  // em1 = exp(-2|x|) - 1; tanh(|x|) = -em1 / (2 + em1).
  const double u = d_mul(2.0, ax);
  double em1;
  if (u < 0.5) {
    double term = 1.0, sum = 0.0;
    for (int k = 1; k <= 20; ++k) {
      term = d_div(d_mul(term, -u), double(k));
      sum = d_add(sum, term);
    }
    em1 = sum;
  } else {
    // exp(-u) = 2^-k * exp(-r), r = u - k ln2 in [0, ln2): the series converges in 25 terms.
    const double ln2 = 0.6931471805599453094;
    const int k = int(d_div(u, ln2));
    const double r = d_add(u, -d_mul(double(k), ln2));
    double term = 1.0, sum = 1.0;
    for (int i = 1; i <= 25; ++i) {
      term = d_div(d_mul(term, -r), double(i));
      sum = d_add(sum, term);
    }
    double scale = 1.0;
    for (int i = 0; i < k; ++i) scale = d_mul(scale, 0.5);
    em1 = d_add(d_mul(sum, scale), -1.0);
  }
  const double t = d_div(-em1, d_add(2.0, em1));
  return float(x < 0 ? -t : t);
}

}  // namespace lidardet
