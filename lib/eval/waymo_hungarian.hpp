// Maximum-weight perfect assignment on an n x n integer matrix, by the alternating-tree
// Kuhn-Munkres procedure the Waymo metrics use (eval.md §B3.3). The exact order of roots, of the
// equality-graph neighbours and of tree growth is reproduced because it decides which of several
// equal-weight optima is returned, and so which prediction becomes the TP.
#pragma once
#include <cstdint>
#include <vector>

namespace lidardet::eval {

// `weights` is row-major n x n (rows = predictions, columns = ground truth), every entry >= 0.
// Returns, for each row, its assigned column (a permutation of 0..n-1).
std::vector<int> waymo_hungarian(const std::vector<std::int64_t>& weights, int n);

}  // namespace lidardet::eval
