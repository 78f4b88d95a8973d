// Sort keys of the FlatFormer and LION window orders. Shared by the CPU and CUDA sorters
// (host/device inline functions) so both compute the same integers.
#pragma once
#include <cstdint>

#include "voxel/voxel_math.hpp"  // LIDARDET_HD
#include "window/window_config.hpp"

namespace lidardet {

enum class FlatOrder { kX = 0, kXShift = 1, kY = 2, kYShift = 3 };
enum class LionDirection { kX = 0, kY = 1 };

// FlatFormer constants (flatformer.md §4.4): N1 = 2 (ceil(max(X, Y) / w) + 1), N2 = 2 w with
// w = max(wx, wy), per-sample keys in [0, batch_stride).
struct FlatKeyParams {
  int wx, wy, n1, n2;
  std::int64_t batch_stride;
};
FlatKeyParams flat_key_params(const FlatWindowConfig& c);

LIDARDET_HD inline std::int64_t flat_key(int b, int y, int x, FlatOrder order,
                                         const FlatKeyParams& p) {
  const bool shifted = order == FlatOrder::kXShift || order == FlatOrder::kYShift;
  const int X = x + (shifted ? p.wx / 2 : 0), Y = y + (shifted ? p.wy / 2 : 0);
  const std::int64_t x1 = X / p.wx, y1 = Y / p.wy, x2 = X % p.wx, y2 = Y % p.wy;
  const std::int64_t n2sq = std::int64_t(p.n2) * p.n2;
  auto sgn = [](std::int64_t k) -> std::int64_t { return (k & 1) ? -1 : 1; };
  std::int64_t k;
  if (order == FlatOrder::kX || order == FlatOrder::kXShift)
    k = (p.n1 * y1 + sgn(y1) * x1) * n2sq + sgn(y1) * (p.n2 * x2 + sgn(x2) * y2);
  else
    k = (p.n1 * x1 + sgn(x1) * y1) * n2sq + sgn(x1) * (p.n2 * y2 + sgn(y2) * x2);
  return k + std::int64_t(b) * p.batch_stride;
}

// LION constants (lion.md §2.4): n = ceil(grid / window) + 1 windows per axis, shift w / 2.
struct LionKeyParams {
  int w[3], s[3], n[3];
};
LionKeyParams lion_key_params(const LionWindowConfig& c);

LIDARDET_HD inline std::int64_t lion_key(int b, int z, int y, int x, LionDirection dir,
                                         const LionKeyParams& p) {
  const int xs = x + p.s[0], ys = y + p.s[1], zs = z + p.s[2];
  const std::int64_t Wx = xs / p.w[0], Wy = ys / p.w[1], Wz = zs / p.w[2];
  const std::int64_t cx = xs % p.w[0], cy = ys % p.w[1], cz = zs % p.w[2];
  const std::int64_t nwin = std::int64_t(p.n[0]) * p.n[1] * p.n[2];
  const std::int64_t vol = std::int64_t(p.w[0]) * p.w[1] * p.w[2];
  if (dir == LionDirection::kX)
    return (b * nwin + Wx * p.n[1] * p.n[2] + Wy * p.n[2] + Wz) * vol + cx * (p.w[1] * p.w[2]) +
           cy * p.w[2] + cz;
  return (b * nwin + Wy * p.n[0] * p.n[2] + Wx * p.n[2] + Wz) * vol + cy * (p.w[0] * p.w[2]) +
         cx * p.w[2] + cz;
}

}  // namespace lidardet
