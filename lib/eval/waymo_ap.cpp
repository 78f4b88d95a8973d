#include "eval/waymo_ap.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace lidardet::eval {

float waymo_mean_average_precision(const std::vector<float>& precisions,
                                   const std::vector<float>& recalls, float delta) {
  if (precisions.empty()) return 0.0f;
  // recall -> best precision; seeded with (0 -> 1) so the curve always reaches recall 0.
  std::map<float, float> best{{0.0f, 1.0f}};
  for (std::size_t k = 0; k < precisions.size() && k < recalls.size(); ++k) {
    auto [it, inserted] = best.try_emplace(recalls[k], 0.0f);
    it->second = std::max(it->second, precisions[k]);
  }
  // Walk from the highest recall down; last_r starts at the smallest key so that nothing is
  // added above the maximum recall. Points are (precision, recall).
  std::vector<std::pair<float, float>> pts;
  float last_r = best.begin()->first;
  float max_p = 0.0f;
  for (auto it = best.rbegin(); it != best.rend(); ++it) {
    const float r = it->first;
    while (last_r - r > delta + 1e-6f) {
      last_r -= delta;
      pts.emplace_back(max_p, last_r);
    }
    max_p = std::max(max_p, it->second);
    pts.emplace_back(max_p, r);
    last_r = r;
  }
  // The recall-0 point carries the envelope of its neighbour, not the artificial seed 1.0.
  if (pts.size() >= 2) pts.back().first = pts[pts.size() - 2].first;
  float ap = 0.0f;
  for (std::size_t i = 1; i < pts.size(); ++i)
    ap += 0.5 * (pts[i - 1].second - pts[i].second) * (pts[i - 1].first + pts[i].first);
  return ap;
}

}  // namespace lidardet::eval
