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

int max_bits(const std::vector<std::uint64_t>& keys) {
  std::uint64_t m = 0;
  for (std::uint64_t k : keys) m = k > m ? k : m;
  return bits_for(m);
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
  std::vector<std::uint64_t>& sorted = scratch.sorted;
  sorted.assign(o.keys.begin(), o.keys.end());
  o.perm.resize(m);
  std::iota(o.perm.begin(), o.perm.end(), 0u);
  radix_sort_pairs(sorted, o.perm, key_bits, threads, scratch.radix);
  for (std::size_t i = 1; i < m; ++i)
    if (sorted[i] == sorted[i - 1])
      throw Error("window sorter: voxels " + std::to_string(o.perm[i - 1]) + " and " +
                  std::to_string(o.perm[i]) + " share a cell (duplicate coordinates)");
  o.inverse.resize(m);
  for (std::size_t i = 0; i < m; ++i) o.inverse[o.perm[i]] = std::uint32_t(i);
  o.gather.resize(mapping.num_padded());
  for (std::size_t s = 0; s < o.gather.size(); ++s) o.gather[s] = o.perm[mapping.flat2win[s]];
  o.scatter.resize(m);
  for (std::size_t v = 0; v < m; ++v) o.scatter[v] = mapping.win2flat[o.inverse[v]];
}

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
  for (int k = 0; k < 4; ++k) {
    WindowOrder& o = out.orders[k];
    o.keys.resize(m);
    for (std::size_t i = 0; i < m; ++i)
      o.keys[i] = std::uint64_t(
          flat_key(coords[4 * i], coords[4 * i + 2], coords[4 * i + 3], FlatOrder(k), p));
    finish_order(o, max_bits(o.keys), out.mapping, threads, scratch);
  }
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
  for (int k = 0; k < 2; ++k) {
    WindowOrder& o = out.orders[k];
    o.keys.resize(m);
    for (std::size_t i = 0; i < m; ++i)
      o.keys[i] = std::uint64_t(lion_key(coords[4 * i], coords[4 * i + 1], coords[4 * i + 2],
                                         coords[4 * i + 3], LionDirection(k), p));
    finish_order(o, max_bits(o.keys), out.mapping, threads, scratch);
  }
}

}  // namespace lidardet
