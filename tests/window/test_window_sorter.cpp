#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

#include "core/error.hpp"
#include "window/window_sorter.hpp"

using namespace lidardet;

namespace {

// Distinct random voxels (b, z, y, x) over `batch` samples, shuffled; sample `empty` gets none.
std::vector<std::int32_t> random_coords(std::uint32_t seed, int batch, int per_sample,
                                        std::array<int, 3> grid, int empty = -1) {
  std::mt19937 rng(seed);
  std::set<std::array<int, 4>> seen;
  for (int b = 0; b < batch; ++b) {
    if (b == empty) continue;
    const int n = b == batch - 1 ? 3 : per_sample;  // the last sample is tiny
    for (int have = 0; have < n;)
      have +=
          seen.insert({b, int(rng() % grid[2]), int(rng() % grid[1]), int(rng() % grid[0])}).second;
  }
  std::vector<std::array<int, 4>> v(seen.begin(), seen.end());
  std::shuffle(v.begin(), v.end(), rng);
  std::vector<std::int32_t> out;
  for (auto& r : v) out.insert(out.end(), r.begin(), r.end());
  return out;
}

void check_order(const WindowOrder& o, const GroupMapping& m,
                 const std::vector<std::int32_t>& coords) {
  const std::size_t n = coords.size() / 4;
  // perm is the argsort of the keys (reference: std::sort of indices).
  std::vector<std::uint32_t> ref(n);
  std::iota(ref.begin(), ref.end(), 0u);
  std::sort(ref.begin(), ref.end(), [&](auto a, auto b) { return o.keys[a] < o.keys[b]; });
  ASSERT_EQ(o.perm, ref);
  for (std::size_t v = 0; v < n; ++v) {
    ASSERT_EQ(o.perm[o.inverse[v]], v);    // inverse permutations
    ASSERT_EQ(o.gather[o.scatter[v]], v);  // a voxel's own slot reads it back
  }
  // Samples are contiguous in sorted order and never share a group.
  for (std::size_t s = 1; s < n; ++s) ASSERT_LE(coords[4 * o.perm[s - 1]], coords[4 * o.perm[s]]);
  for (std::size_t q = 0; q < m.num_groups(); ++q)
    for (int j = 0; j < m.group_size; ++j)
      ASSERT_EQ(coords[4 * o.gather[q * m.group_size + j]], m.group_sample[q]);
}

}  // namespace

TEST(WindowSorter, FlatFormerRandomBatch) {
  FlatWindowConfig c;
  c.grid = {468, 468};
  const auto coords = random_coords(1, 4, 900, {468, 468, 1}, 1);
  const FlatFormerOrders f = flatformer_orders(coords, 4, c);
  EXPECT_EQ(f.mapping.sorted_offsets, (std::vector<std::uint32_t>{0, 900, 900, 1800, 1803}));
  EXPECT_EQ(f.mapping.num_padded(), 1008u + 1008u + 144u);  // ceil(900/144) = 7 groups
  for (const auto& o : f.orders) check_order(o, f.mapping, coords);
  // The shifted order differs from the plain one.
  EXPECT_NE(f.orders[0].perm, f.orders[1].perm);
  EXPECT_NE(f.orders[0].perm, f.orders[2].perm);
}

TEST(WindowSorter, LionRandomBatchAllGroupSizes) {
  for (int g : {4096, 2048, 1024, 512, 256}) {
    LionWindowConfig c;
    c.window = {13, 13, 8};
    c.grid = {176, 200, 8};
    c.group_size = g;
    c.shift = g % 1024 == 0;
    const auto coords = random_coords(g, 3, 2500, {176, 200, 8});
    const LionOrders l = lion_orders(coords, 3, c);
    for (const auto& o : l.orders) check_order(o, l.mapping, coords);
  }
}

TEST(WindowSorter, EmptyInputAndBadCoords) {
  LionWindowConfig c;
  c.grid = {20, 20, 4};
  c.window = {5, 5, 2};
  c.group_size = 8;
  const LionOrders l = lion_orders({}, 2, c);
  EXPECT_EQ(l.mapping.num_padded(), 0u);
  EXPECT_TRUE(l.orders[0].perm.empty());
  EXPECT_THROW(lion_orders({0, 0, 0, 20}, 1, c), Error);             // x out of grid
  EXPECT_THROW(lion_orders({2, 0, 0, 1}, 2, c), Error);              // batch index out of range
  EXPECT_THROW(lion_orders({0, 0, 0, 1, 0, 0, 0, 1}, 1, c), Error);  // duplicate voxel
}

TEST(WindowSorter, ThreadCountDoesNotChangeResult) {
  FlatWindowConfig c;
  c.grid = {468, 468};
  const auto coords = random_coords(9, 2, 30000, {468, 468, 1});
  const FlatFormerOrders a = flatformer_orders(coords, 2, c, 1);
  const FlatFormerOrders b = flatformer_orders(coords, 2, c, 4);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(a.orders[k].perm, b.orders[k].perm);
    EXPECT_EQ(a.orders[k].gather, b.orders[k].gather);
  }
}

// Reused outputs and scratch give the same result as fresh ones, frame after frame.
TEST(WindowSorter, ReusedBuffersGiveFreshResults) {
  FlatWindowConfig c;
  c.grid = {468, 468};
  FlatFormerOrders out;
  WindowScratch scratch;
  for (std::uint32_t seed : {3u, 4u}) {
    const auto coords = random_coords(seed, 2, seed == 3 ? 5000 : 700, {468, 468, 1});
    flatformer_orders_into(out, scratch, coords, 2, c);
    const FlatFormerOrders fresh = flatformer_orders(coords, 2, c);
    EXPECT_EQ(out.mapping.flat2win, fresh.mapping.flat2win);
    EXPECT_EQ(out.mapping.group_real, fresh.mapping.group_real);
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(out.orders[k].perm, fresh.orders[k].perm);
      EXPECT_EQ(out.orders[k].gather, fresh.orders[k].gather);
      EXPECT_EQ(out.orders[k].scatter, fresh.orders[k].scatter);
    }
  }
}

// The sorter takes window coordinates from per-cell tables; its keys must be exactly the key
// functions' (which test_window_keys.cpp checks by hand), for every order and sample.
TEST(WindowSorter, KeysEqualKeyFunctions) {
  FlatWindowConfig fc;
  fc.grid = {468, 468};
  const auto fcoords = random_coords(21, 3, 3000, {468, 468, 1});
  const FlatFormerOrders f = flatformer_orders(fcoords, 3, fc);
  const FlatKeyParams fp = flat_key_params(fc);
  for (int k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < fcoords.size() / 4; ++i)
      ASSERT_EQ(f.orders[k].keys[i], std::uint64_t(flat_key(fcoords[4 * i], fcoords[4 * i + 2],
                                                            fcoords[4 * i + 3], FlatOrder(k), fp)));
  LionWindowConfig lc;
  lc.window = {13, 13, 32};
  lc.grid = {472, 472, 32};
  lc.shift = true;
  const auto lcoords = random_coords(22, 2, 4000, {472, 472, 32});
  const LionOrders l = lion_orders(lcoords, 2, lc);
  const LionKeyParams lp = lion_key_params(lc);
  for (int k = 0; k < 2; ++k)
    for (std::size_t i = 0; i < lcoords.size() / 4; ++i)
      ASSERT_EQ(l.orders[k].keys[i],
                std::uint64_t(lion_key(lcoords[4 * i], lcoords[4 * i + 1], lcoords[4 * i + 2],
                                       lcoords[4 * i + 3], LionDirection(k), lp)));
  // A duplicate voxel is found by the packed-word path too.
  EXPECT_THROW(flatformer_orders({0, 0, 5, 7, 0, 0, 5, 7}, 1, fc), Error);
}
