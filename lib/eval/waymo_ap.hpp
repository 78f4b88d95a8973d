// Waymo AP integration (eval.md §B5): per-cutoff precision/recall in float32 and the
// post-July-2021 ComputeMeanAveragePrecision (no extension of the curve to recall 1).
#pragma once
#include <vector>

namespace lidardet::eval {

// Area under the monotone precision envelope sampled at `recalls`, with a linear ramp over at
// most `delta` of recall before each sample (eval.md §B5.2). Float accumulation as the official
// code does it, so results match it bit for bit. Empty input -> 0.
float waymo_mean_average_precision(const std::vector<float>& precisions,
                                   const std::vector<float>& recalls, float delta = 0.05f);

}  // namespace lidardet::eval
