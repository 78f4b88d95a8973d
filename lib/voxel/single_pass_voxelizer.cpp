#include "voxel/single_pass_voxelizer.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "voxel/radix_sort.hpp"

namespace lidardet {
namespace {

constexpr std::uint64_t kEmpty = ~std::uint64_t(0);  // key 2^32 - 1 never occurs

// point_cell without floorf (a library call without SSE4.1): the range test runs on the quotient
// itself, which holds exactly when it holds for floor(quotient) (grid sizes are integers), and
// on a quotient in [0, grid) truncation is floor. The division stays a division, so the cells
// and the dropped points are those of point_cell bit for bit.
template <bool kStrictClamp>
inline bool quick_cell(const float* p, const GridParams& g, const float grid_f[3],
                       std::uint32_t cell[3]) {
  bool ok = true;
  float q[3];
  for (int a = 0; a < 3; ++a) {
    q[a] = (p[a] - g.min[a]) / g.size[a];
    if constexpr (kStrictClamp) {
      ok &= p[a] > g.filter_min[a] && p[a] < g.filter_max[a];
      q[a] = q[a] < 0.0f ? 0.0f : q[a] >= grid_f[a] ? grid_f[a] - 1.0f : q[a];
    } else {
      ok &= q[a] >= 0.0f && q[a] < grid_f[a];  // false for NaN
    }
  }
  if (!ok) return false;
  for (int a = 0; a < 3; ++a) cell[a] = std::uint32_t(q[a]);
  return true;
}

inline std::size_t slot_of(std::uint32_t key, int shift) {
  return std::uint32_t(key * 0x9E3779B1u) >> shift;  // Fibonacci hashing: neighbours spread out
}

// The table: a power-of-two array of words, kept below half full.
struct Table {
  std::uint64_t* slots;
  std::size_t mask;
  int shift;
};

Table reset_table(std::vector<std::uint64_t>& slots, std::size_t want) {
  std::size_t cap = 1024;
  int bits = 10;
  while (cap < 2 * want) cap <<= 1, ++bits;
  slots.assign(cap, kEmpty);
  return {slots.data(), cap - 1, 32 - bits};
}

void insert(const Table& t, std::uint64_t word) {
  std::size_t h = slot_of(std::uint32_t(word >> 32), t.shift);
  while (t.slots[h] != kEmpty) h = (h + 1) & t.mask;
  t.slots[h] = word;
}

// Exact floor(n / d) for every 32-bit n through one 64 x 64 -> 128-bit multiply by
// M = floor((2^64 - 1) / d) + 1 (Lemire, Kaser and Kurz 2019), instead of a 64-bit division.
struct Divisor32 {
  std::uint64_t m;
  std::uint32_t d;
  explicit Divisor32(std::uint32_t divisor) : m(~std::uint64_t(0) / divisor + 1), d(divisor) {}
  std::uint32_t quot(std::uint32_t n) const {
    if (d == 1) return n;  // M would be 2^64
    return std::uint32_t((static_cast<unsigned __int128>(m) * n) >> 64);
  }
};

// key_to_coord for 32-bit keys: writes (b, z, y, x).
struct KeyDecoder {
  Divisor32 inner, middle, outer;  // the three radices, innermost first
  bool zyx;
  explicit KeyDecoder(const GridParams& g)
      : inner(g.order_zyx ? g.grid[0] : g.grid[2]),
        middle(g.grid[1]),
        outer(g.order_zyx ? g.grid[2] : g.grid[0]),
        zyx(g.order_zyx) {}
  void decode(std::uint32_t key, std::int32_t out[4]) const {
    const std::uint32_t q0 = inner.quot(key), q1 = middle.quot(q0), q2 = outer.quot(q1);
    const std::int32_t c0 = std::int32_t(key - q0 * inner.d), c1 = std::int32_t(q0 - q1 * middle.d),
                       c2 = std::int32_t(q1 - q2 * outer.d);
    out[0] = std::int32_t(q2), out[2] = c1;
    out[1] = zyx ? c2 : c0;  // z
    out[3] = zyx ? c0 : c2;  // x
  }
};

// Pass 1: the key and index of every kept point, in point order (no table access, so the
// divisions of consecutive points overlap).
template <bool kStrictClamp>
std::uint32_t point_keys32(std::span<const PointCloudView> clouds, const GridParams& g,
                           std::uint32_t* keys, std::uint32_t* kept) {
  const float grid_f[3] = {float(g.grid[0]), float(g.grid[1]), float(g.grid[2])};
  // Key strides (cell_key): ascending keys give the configured order.
  const std::uint32_t gx = g.grid[0], gy = g.grid[1], gz = g.grid[2];
  const std::uint32_t sx = g.order_zyx ? 1 : gy * gz, sy = g.order_zyx ? gx : gz,
                      sz = g.order_zyx ? gx * gy : 1, cells = gx * gy * gz;
  std::uint32_t r = 0, global = 0;
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    const PointCloudView& cl = clouds[b];
    const std::size_t nc = cl.num_channels();
    const std::uint32_t base = std::uint32_t(b) * cells;
    const float* p = cl.data;
    for (std::size_t j = 0; j < cl.size; ++j, p += nc, ++global) {
      std::uint32_t c[3];
      if (!quick_cell<kStrictClamp>(p, g, grid_f, c)) continue;
      keys[r] = base + c[0] * sx + c[1] * sy + c[2] * sz;
      kept[r++] = global;
    }
  }
  return r;
}

// Pass 2: the voxel id of every kept point (ids count up in order of first point). A point in
// the previous point's voxel skips the table; the slot of the key a few points ahead is
// prefetched, so the table's cache misses overlap instead of stalling one by one.
std::uint32_t assign_ids(const std::uint32_t* keys, std::uint32_t k, VoxelWorkspace& ws) {
  constexpr std::uint32_t kAhead = 12;
  Table t = reset_table(ws.slots, ws.expected_voxels);
  std::uint64_t* words = ws.id_words.data();  // key << 32 | id, by id
  std::uint32_t* count = ws.id_count.data();
  std::uint32_t* first_id = ws.first_id.data();
  std::uint32_t m = 0, last_key = ~0u, last_id = 0;
  for (std::uint32_t r = 0; r < k; ++r) {
    const std::uint32_t key = keys[r];
    if (r + kAhead < k) __builtin_prefetch(t.slots + slot_of(keys[r + kAhead], t.shift));
    if (key != last_key) {
      if (2 * std::size_t(m) >= t.mask) {  // half full: double and re-insert
        t = reset_table(ws.slots, 2 * std::size_t(m));
        for (std::uint32_t i = 0; i < m; ++i) insert(t, words[i]);
      }
      std::size_t h = slot_of(key, t.shift);
      for (;;) {
        const std::uint64_t s = t.slots[h];
        if (s == kEmpty) {
          t.slots[h] = words[m] = std::uint64_t(key) << 32 | m;
          count[m] = 0;
          last_id = m++;
          break;
        }
        if (std::uint32_t(s >> 32) == key) {
          last_id = std::uint32_t(s);
          break;
        }
        h = (h + 1) & t.mask;
      }
      last_key = key;
    }
    ++count[last_id];
    first_id[r] = last_id;
  }
  return m;
}

}  // namespace

bool voxelize_single_pass(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                          const GridParams& g) {
  const std::uint64_t cells = std::uint64_t(g.grid[0]) * std::uint64_t(g.grid[1]) * g.grid[2];
  if (std::max<std::uint64_t>(clouds.size(), 1) * cells > 0xffffffffu) return false;
  std::size_t n = 0;
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    if (clouds[b].size && clouds[b].num_channels() < 3)
      throw Error("voxelize: sample " + std::to_string(b) + " has " +
                  std::to_string(clouds[b].num_channels()) + " channels (expected x, y, z first)");
    n += clouds[b].size;
  }
  if (n > 0xffffffffu) throw Error("voxelize: more than 2^32 points in one batch");
  // Per-id buffers only grow: resizing down and up again would re-initialise them every frame.
  const std::size_t ids =
      std::min<std::uint64_t>(n, std::max<std::uint64_t>(clouds.size(), 1) * cells);
  if (ws.id_words.size() < ids) ws.id_words.resize(ids);
  if (ws.id_count.size() < ids) ws.id_count.resize(ids);
  if (ws.first_id.size() < n) ws.first_id.resize(n);
  if (ws.point_key32.size() < n) ws.point_key32.resize(n);
  out.kept_points.resize(n);
  const std::uint32_t k =
      g.strict_clamp
          ? point_keys32<true>(clouds, g, ws.point_key32.data(), out.kept_points.data())
          : point_keys32<false>(clouds, g, ws.point_key32.data(), out.kept_points.data());
  out.kept_points.resize(k);
  const std::uint32_t m = assign_ids(ws.point_key32.data(), k, ws);
  ws.expected_voxels = m;

  // Voxel ids are in order of first point; sort them by key (only the M unique voxels).
  std::vector<std::uint64_t>& sorted = ws.sorted;
  sorted.assign(ws.id_words.begin(), ws.id_words.begin() + m);
  radix_sort_words(sorted, 32, 32 + bits_for(std::max<std::uint64_t>(clouds.size(), 1) * cells - 1),
                   ws.word_scratch);
  std::vector<std::uint32_t>& rank = ws.rank;
  rank.resize(m);
  const KeyDecoder decoder(g);
  out.keys.resize(m);
  out.coords.resize(4 * std::size_t(m));
  out.voxel_offsets.resize(std::size_t(m) + 1);
  out.voxel_offsets[0] = 0;
  for (std::uint32_t v = 0; v < m; ++v) {
    const std::uint32_t id = std::uint32_t(sorted[v]);
    rank[id] = v;
    out.keys[v] = sorted[v] >> 32;
    decoder.decode(std::uint32_t(out.keys[v]), &out.coords[4 * std::size_t(v)]);
    out.voxel_offsets[v + 1] = out.voxel_offsets[v] + ws.id_count[id];
  }
  // Point lists: kept rows in ascending order within each voxel (a counting scatter).
  std::vector<std::uint32_t>& fill = ws.fill;
  fill.assign(out.voxel_offsets.begin(), out.voxel_offsets.end() - 1);
  out.point_voxel.resize(k);
  out.voxel_points.resize(k);
  for (std::uint32_t r = 0; r < k;) {  // a run of points in one voxel fills one stretch
    const std::uint32_t id = ws.first_id[r], v = rank[id];
    std::uint32_t pos = fill[v];
    do {
      out.point_voxel[r] = std::int32_t(v);
      out.voxel_points[pos++] = r;
    } while (++r < k && ws.first_id[r] == id);
    fill[v] = pos;
  }
  return true;
}

}  // namespace lidardet
