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

// Key from the window coordinates of a (possibly shifted) cell: window index (x1, y1) and
// offset inside the window (x2, y2). The CPU sorter takes these from per-cell tables; the
// divisions are then done once per grid column instead of once per voxel and order.
LIDARDET_HD inline std::int64_t flat_key_from_windows(int b, std::int64_t x1, std::int64_t x2,
                                                      std::int64_t y1, std::int64_t y2,
                                                      FlatOrder order, const FlatKeyParams& p) {
  const std::int64_t n2sq = std::int64_t(p.n2) * p.n2;
  auto sgn = [](std::int64_t k) -> std::int64_t { return (k & 1) ? -1 : 1; };
  std::int64_t k;
  if (order == FlatOrder::kX || order == FlatOrder::kXShift)
    k = (p.n1 * y1 + sgn(y1) * x1) * n2sq + sgn(y1) * (p.n2 * x2 + sgn(x2) * y2);
  else
    k = (p.n1 * x1 + sgn(x1) * y1) * n2sq + sgn(x1) * (p.n2 * y2 + sgn(y2) * x2);
  return k + std::int64_t(b) * p.batch_stride;
}

LIDARDET_HD inline bool flat_order_shifted(FlatOrder order) {
  return order == FlatOrder::kXShift || order == FlatOrder::kYShift;
}

LIDARDET_HD inline std::int64_t flat_key(int b, int y, int x, FlatOrder order,
                                         const FlatKeyParams& p) {
  const bool shifted = flat_order_shifted(order);
  const int X = x + (shifted ? p.wx / 2 : 0), Y = y + (shifted ? p.wy / 2 : 0);
  return flat_key_from_windows(b, X / p.wx, X % p.wx, Y / p.wy, Y % p.wy, order, p);
}

// LION constants (lion.md §2.4): n = ceil(grid / window) + 1 windows per axis, shift w / 2.
struct LionKeyParams {
  int w[3], s[3], n[3];
};
LionKeyParams lion_key_params(const LionWindowConfig& c);

// Key from the window index W and in-window offset c of the shifted cell, per axis (x, y, z).
LIDARDET_HD inline std::int64_t lion_key_from_windows(int b, const std::int64_t W[3],
                                                      const std::int64_t c[3], LionDirection dir,
                                                      const LionKeyParams& p) {
  const std::int64_t nwin = std::int64_t(p.n[0]) * p.n[1] * p.n[2];
  const std::int64_t vol = std::int64_t(p.w[0]) * p.w[1] * p.w[2];
  if (dir == LionDirection::kX)
    return (b * nwin + W[0] * p.n[1] * p.n[2] + W[1] * p.n[2] + W[2]) * vol +
           c[0] * (p.w[1] * p.w[2]) + c[1] * p.w[2] + c[2];
  return (b * nwin + W[1] * p.n[0] * p.n[2] + W[0] * p.n[2] + W[2]) * vol +
         c[1] * (p.w[0] * p.w[2]) + c[0] * p.w[2] + c[2];
}

LIDARDET_HD inline std::int64_t lion_key(int b, int z, int y, int x, LionDirection dir,
                                         const LionKeyParams& p) {
  const int s[3] = {x + p.s[0], y + p.s[1], z + p.s[2]};
  std::int64_t W[3], c[3];
  for (int a = 0; a < 3; ++a) W[a] = s[a] / p.w[a], c[a] = s[a] % p.w[a];
  return lion_key_from_windows(b, W, c, dir, p);
}

}  // namespace lidardet
