#include "eval/waymo_hungarian.hpp"

#include <algorithm>
#include <limits>

namespace lidardet::eval {

std::vector<int> waymo_hungarian(const std::vector<std::int64_t>& w, int n) {
  auto W = [&](int i, int j) { return w[static_cast<std::size_t>(i) * n + j]; };
  std::vector<std::int64_t> lx(n, 0), ly(n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) lx[i] = std::max(lx[i], W(i, j));
  std::vector<int> row_to_col(n, -1), col_to_row(n, -1);

  std::vector<int> S, N, n_parent(n), t_parent(n);
  std::vector<char> in_s(n), in_t(n), in_n(n);
  // Adds the equality-graph neighbours of row i to N, j ascending, remembering who added them.
  auto add_neighbours = [&](int i) {
    for (int j = 0; j < n; ++j)
      if (!in_n[j] && lx[i] + ly[j] == W(i, j)) {
        in_n[j] = 1;
        n_parent[j] = i;
        N.push_back(j);
      }
  };

  for (;;) {
    int root = -1;
    for (int i = 0; i < n && root < 0; ++i)
      if (row_to_col[i] < 0) root = i;
    if (root < 0) break;
    S.assign(1, root);
    N.clear();
    std::fill(in_s.begin(), in_s.end(), 0);
    std::fill(in_t.begin(), in_t.end(), 0);
    std::fill(in_n.begin(), in_n.end(), 0);
    in_s[root] = 1;
    int t_size = 0;
    add_neighbours(root);
    for (;;) {
      if (static_cast<int>(N.size()) == t_size) {  // T is a subset of N, so N == T
        std::int64_t a = std::numeric_limits<std::int64_t>::max();
        for (int i : S)
          for (int j = 0; j < n; ++j)
            if (!in_t[j]) a = std::min(a, lx[i] + ly[j] - W(i, j));
        for (int i : S) lx[i] -= a;
        for (int j = 0; j < n; ++j)
          if (in_t[j]) ly[j] += a;
        N.clear();
        std::fill(in_n.begin(), in_n.end(), 0);
        for (int i : S) add_neighbours(i);
      }
      int y = -1;
      for (int j : N)
        if (!in_t[j]) {
          y = j;
          break;
        }
      in_t[y] = 1;
      ++t_size;
      t_parent[y] = n_parent[y];
      if (col_to_row[y] < 0) {
        // Augment along the alternating path back to the root.
        for (int j = y; j >= 0;) {
          const int i = t_parent[j];
          const int prev = row_to_col[i];
          row_to_col[i] = j;
          col_to_row[j] = i;
          j = prev;
        }
        break;
      }
      const int z = col_to_row[y];
      S.push_back(z);
      in_s[z] = 1;
      add_neighbours(z);
    }
  }
  return row_to_col;
}

}  // namespace lidardet::eval
