#include "window/window_sorter.hpp"

#include <numeric>

#include "core/error.hpp"
#include "voxel/radix_sort.hpp"

namespace lidardet {
namespace {

void check_coords(const std::vector<std::int32_t>& coords, const std::array<int, 3>& grid,
                  const char* who) {
  if (coords.size() % 4) throw Error(std::string(who) + ": coords are not (b, z, y, x) rows");
  for (std::size_t i = 0; i < coords.size(); i += 4)
    for (int a = 0; a < 3; ++a) {
      const int v = coords[i + 3 - a];  // a = 0: x
      if (v < 0 || v >= grid[a])
        throw Error(std::string(who) + ": voxel " + std::to_string(i / 4) + " has " + "xyz"[a] +
                    " = " + std::to_string(v) + " (expected 0 .. " + std::to_string(grid[a] - 1) +
                    ")");
    }
}

}  // namespace

std::vector<std::uint32_t> sample_counts(const std::vector<std::int32_t>& coords, int batch_size) {
  std::vector<std::uint32_t> counts(batch_size > 0 ? batch_size : 0, 0);
  for (std::size_t i = 0; i < coords.size(); i += 4) {
    const int b = coords[i];
    if (b < 0 || b >= batch_size)
      throw Error("window sorter: voxel " + std::to_string(i / 4) + " has batch index " +
                  std::to_string(b) + " (expected 0 .. " + std::to_string(batch_size - 1) + ")");
    ++counts[b];
  }
  return counts;
}

void finish_order(WindowOrder& o, int key_bits, const GroupMapping& mapping, int threads) {
  WindowScratch scratch;
  finish_order(o, key_bits, mapping, threads, scratch);
}

void finish_order(WindowOrder& o, int key_bits, const GroupMapping& mapping, int threads,
                  WindowScratch& scratch) {
  const std::size_t m = o.keys.size();
  o.perm.resize(m);
  auto duplicate = [&](std::size_t i) {
    return Error("window sorter: voxels " + std::to_string(o.perm[i - 1]) + " and " +
                 std::to_string(o.perm[i]) + " share a cell (duplicate coordinates)");
  };
  if (threads <= 1 && key_bits <= 32 && m <= 0xffffffffu) {
    std::vector<std::uint64_t>& words = scratch.words;
    words.resize(m);
    for (std::size_t i = 0; i < m; ++i) words[i] = o.keys[i] << 32 | i;
    radix_sort_words(words, 32, 32 + key_bits, scratch.word_scratch);
    o.inverse.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
      o.perm[i] = std::uint32_t(words[i]);
      o.inverse[o.perm[i]] = std::uint32_t(i);
    }
    for (std::size_t i = 1; i < m; ++i)
      if (words[i] >> 32 == words[i - 1] >> 32) throw duplicate(i);
  } else {
    std::vector<std::uint64_t>& sorted = scratch.sorted;
    sorted.assign(o.keys.begin(), o.keys.end());
    std::iota(o.perm.begin(), o.perm.end(), 0u);
    radix_sort_pairs(sorted, o.perm, key_bits, threads, scratch.radix);
    for (std::size_t i = 1; i < m; ++i)
      if (sorted[i] == sorted[i - 1]) throw duplicate(i);
    o.inverse.resize(m);
    for (std::size_t i = 0; i < m; ++i) o.inverse[o.perm[i]] = std::uint32_t(i);
  }
  o.gather.resize(mapping.num_padded());
  for (std::size_t s = 0; s < o.gather.size(); ++s) o.gather[s] = o.perm[mapping.flat2win[s]];
  o.scatter.resize(m);
  for (std::size_t v = 0; v < m; ++v) o.scatter[v] = mapping.win2flat[o.inverse[v]];
}

namespace {

// Window index and offset inside the window of every cell 0 .. cells - 1 of an axis after
// adding `shift`, appended to the tables; returns where this axis starts in them.
std::size_t append_axis(std::vector<std::int32_t>& win, std::vector<std::int32_t>& off, int cells,
                        int window, int shift) {
  const std::size_t start = win.size();
  for (int c = 0; c < cells; ++c) {
    win.push_back((c + shift) / window);
    off.push_back((c + shift) % window);
  }
  return start;
}

}  // namespace

FlatFormerOrders flatformer_orders(const std::vector<std::int32_t>& coords, int batch_size,
                                   const FlatWindowConfig& config, int threads) {
  FlatFormerOrders out;
  WindowScratch scratch;
  flatformer_orders_into(out, scratch, coords, batch_size, config, threads);
  return out;
}

void flatformer_orders_into(FlatFormerOrders& out, WindowScratch& scratch,
                            const std::vector<std::int32_t>& coords, int batch_size,
                            const FlatWindowConfig& config, int threads) {
  const FlatKeyParams p = flat_key_params(config);
  check_coords(coords, {config.grid[0], config.grid[1], 1 << 30}, "flatformer_orders");
  group_mapping_into(out.mapping, sample_counts(coords, batch_size), config.group_size);
  const std::size_t m = coords.size() / 4;
  // The four orders share two window computations (unshifted, shifted), taken from tables.
  std::vector<std::int32_t>&win = scratch.win, &off = scratch.off;
  win.clear(), off.clear();
  std::size_t xt[2], yt[2];
  for (int s = 0; s < 2; ++s) {
    xt[s] = append_axis(win, off, config.grid[0], p.wx, s ? p.wx / 2 : 0);
    yt[s] = append_axis(win, off, config.grid[1], p.wy, s ? p.wy / 2 : 0);
  }
  for (WindowOrder& o : out.orders) o.keys.resize(m);
  std::uint64_t max_key[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < m; ++i) {
    const int b = coords[4 * i], y = coords[4 * i + 2], x = coords[4 * i + 3];
    for (int s = 0; s < 2; ++s) {
      const std::size_t xi = xt[s] + x, yi = yt[s] + y;
      for (int k : {s, 2 + s}) {  // x or y order, unshifted (s = 0) or shifted (s = 1)
        const std::uint64_t key = std::uint64_t(
            flat_key_from_windows(b, win[xi], off[xi], win[yi], off[yi], FlatOrder(k), p));
        out.orders[k].keys[i] = key;
        max_key[k] = key > max_key[k] ? key : max_key[k];
      }
    }
  }
  for (int k = 0; k < 4; ++k)
    finish_order(out.orders[k], bits_for(max_key[k]), out.mapping, threads, scratch);
}

LionOrders lion_orders(const std::vector<std::int32_t>& coords, int batch_size,
                       const LionWindowConfig& config, int threads) {
  LionOrders out;
  WindowScratch scratch;
  lion_orders_into(out, scratch, coords, batch_size, config, threads);
  return out;
}

void lion_orders_into(LionOrders& out, WindowScratch& scratch,
                      const std::vector<std::int32_t>& coords, int batch_size,
                      const LionWindowConfig& config, int threads) {
  const LionKeyParams p = lion_key_params(config);
  check_coords(coords, config.grid, "lion_orders");
  group_mapping_into(out.mapping, sample_counts(coords, batch_size), config.group_size);
  const std::size_t m = coords.size() / 4;
  // Both directions share one window computation per voxel, taken from per-axis tables.
  std::vector<std::int32_t>&win = scratch.win, &off = scratch.off;
  win.clear(), off.clear();
  std::size_t t[3];
  for (int a = 0; a < 3; ++a) t[a] = append_axis(win, off, config.grid[a], p.w[a], p.s[a]);
  for (WindowOrder& o : out.orders) o.keys.resize(m);
  std::uint64_t max_key[2] = {0, 0};
  for (std::size_t i = 0; i < m; ++i) {
    const std::int32_t* r = &coords[4 * i];  // (b, z, y, x)
    std::int64_t W[3], c[3];
    for (int a = 0; a < 3; ++a) {
      const std::size_t j = t[a] + std::size_t(r[3 - a]);
      W[a] = win[j], c[a] = off[j];
    }
    for (int k = 0; k < 2; ++k) {
      const std::uint64_t key =
          std::uint64_t(lion_key_from_windows(r[0], W, c, LionDirection(k), p));
      out.orders[k].keys[i] = key;
      max_key[k] = key > max_key[k] ? key : max_key[k];
    }
  }
  for (int k = 0; k < 2; ++k)
    finish_order(out.orders[k], bits_for(max_key[k]), out.mapping, threads, scratch);
}

}  // namespace lidardet
