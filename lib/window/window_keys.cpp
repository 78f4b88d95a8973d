#include "window/window_keys.hpp"

#include <algorithm>

namespace lidardet {

FlatKeyParams flat_key_params(const FlatWindowConfig& c) {
  c.validate();
  FlatKeyParams p{};
  p.wx = c.window[0];
  p.wy = c.window[1];
  const int w = std::max(p.wx, p.wy);
  const int g = std::max(c.grid[0], c.grid[1]);
  p.n1 = 2 * ((g + w - 1) / w + 1);
  p.n2 = 2 * w;
  // The reference uses X * Y * 10; keep it unless a per-sample key could reach it.
  const std::int64_t n2sq = std::int64_t(p.n2) * p.n2;
  const std::int64_t max_win = (g + w) / w;  // largest shifted window index + 1
  const std::int64_t bound = (std::int64_t(p.n1) * max_win + max_win) * n2sq + n2sq;
  p.batch_stride = std::max<std::int64_t>(std::int64_t(c.grid[0]) * c.grid[1] * 10, bound);
  return p;
}

LionKeyParams lion_key_params(const LionWindowConfig& c) {
  c.validate();
  LionKeyParams p{};
  for (int a = 0; a < 3; ++a) {
    p.w[a] = c.window[a];
    p.s[a] = c.shift ? c.window[a] / 2 : 0;
    p.n[a] = (c.grid[a] + c.window[a] - 1) / c.window[a] + 1;
  }
  return p;
}

}  // namespace lidardet
