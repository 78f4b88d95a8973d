#include "eval/kitti_pr.hpp"

#include <algorithm>

namespace lidardet::eval {

namespace {
constexpr int kSamplePoints = 41;

double average(const std::array<double, 41>& p, bool r40) {
  double sum = 0;
  if (r40) {
    for (int i = 1; i < kSamplePoints; ++i) sum += p[i];
    return sum / 40.0 * 100.0;
  }
  for (int i = 0; i < kSamplePoints; i += 4) sum += p[i];
  return sum / 11.0 * 100.0;
}
}  // namespace

void store_kitti_curves(KittiClassResult& cr, int set, int m, int diff, bool aos,
                        const KittiCounts& c) {
  KittiCurve curve, orient;
  const std::size_t nt = c.tp.size();
  curve.num_thresholds = orient.num_thresholds = static_cast<int>(nt);
  for (std::size_t t = 0; t < nt; ++t) {
    curve.precision[t] = static_cast<double>(c.tp[t]) / (c.tp[t] + c.fp[t]);
    curve.recall[t] = static_cast<double>(c.tp[t]) / (c.tp[t] + c.fn[t]);
    if (aos) orient.precision[t] = c.similarity[t] / (c.tp[t] + c.fp[t]);
  }
  // Interpolate: each slot takes the maximum over itself and every later slot.
  for (int t = 0; t < curve.num_thresholds; ++t) {
    curve.precision[t] = *std::max_element(curve.precision.begin() + t, curve.precision.end());
    curve.recall[t] = *std::max_element(curve.recall.begin() + t, curve.recall.end());
    orient.precision[t] = *std::max_element(orient.precision.begin() + t, orient.precision.end());
  }
  cr.curves[set][m][diff] = curve;
  cr.ap_r11[set][m][diff] = average(curve.precision, false);
  cr.ap_r40[set][m][diff] = average(curve.precision, true);
  if (m == kImage) {
    orient.recall = curve.recall;
    cr.curves[set][3][diff] = orient;
    cr.ap_r11[set][3][diff] = aos ? average(orient.precision, false) : 0.0;
    cr.ap_r40[set][3][diff] = aos ? average(orient.precision, true) : 0.0;
  }
}

}  // namespace lidardet::eval
