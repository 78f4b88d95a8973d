// A deterministic parallel loop: the index range is cut into fixed chunks that depend only on
// the range and the thread count, so results never depend on thread scheduling.
#pragma once
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace lidardet {

// Number of chunks parallel_for uses for n items: at most `threads`, at least `min_chunk` items
// each, and 1 when threads <= 1.
inline int chunk_count(std::size_t n, int threads, std::size_t min_chunk = 4096) {
  if (threads <= 1 || n < 2 * min_chunk) return 1;
  return static_cast<int>(std::min<std::size_t>(threads, n / min_chunk));
}

// Calls f(begin, end, chunk) for `chunks` contiguous chunks of [0, n); chunk 0 runs on the
// calling thread. Exceptions from workers are rethrown after all chunks finish.
template <class F>
void parallel_chunks(std::size_t n, int chunks, F&& f) {
  if (chunks <= 1) {
    f(std::size_t{0}, n, 0);
    return;
  }
  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors(chunks);
  auto run = [&](int c) {
    try {
      f(n * c / chunks, n * (c + 1) / chunks, c);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  };
  workers.reserve(chunks - 1);
  for (int c = 1; c < chunks; ++c) workers.emplace_back(run, c);
  run(0);
  for (auto& w : workers) w.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace lidardet
