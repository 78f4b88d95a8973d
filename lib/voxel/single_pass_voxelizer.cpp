#include "voxel/single_pass_voxelizer.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "voxel/radix_sort.hpp"

namespace lidardet {
namespace {

constexpr std::uint64_t kEmpty = ~std::uint64_t(0);  // key 2^32 - 1 never occurs

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

constexpr std::size_t kBlock = 256;  // points per block: its arrays stay in L1

// Keys of a block of points given as x, y, z arrays; ok[j] says whether point j is kept.
// point_cell without floorf (a library call without SSE4.1) and without branches, so that the
// compiler vectorises it: the range test runs on the quotient itself, which holds exactly when
// it holds for floor(quotient) (grid sizes are integers), and on a quotient in [0, grid)
// truncation is floor. The division stays a division: cells and dropped points are those of
// point_cell bit for bit.
template <bool kStrictClamp>
void block_cells(const float* const xyz[3], std::size_t len, const GridParams& g,
                 const std::uint32_t stride[3], std::uint32_t base, std::uint32_t* key,
                 std::uint32_t* ok) {
  const float grid_f[3] = {float(g.grid[0]), float(g.grid[1]), float(g.grid[2])};
  for (std::size_t j = 0; j < len; ++j) {
    std::uint32_t k = base, keep = 1;
    for (int a = 0; a < 3; ++a) {
      const float p = xyz[a][j];
      float q = (p - g.min[a]) / g.size[a];
      if constexpr (kStrictClamp) {
        keep &= (p > g.filter_min[a]) & (p < g.filter_max[a]);
        q = q < 0.0f ? 0.0f : q;
        q = q >= grid_f[a] ? grid_f[a] - 1.0f : q;
        q = keep ? q : 0.0f;  // NaN only in a dropped point; never converted
      } else {
        keep &= (q >= 0.0f) & (q < grid_f[a]);  // false for NaN
        q = keep ? q : 0.0f;
      }
      k += std::uint32_t(std::int32_t(q)) * stride[a];
    }
    key[j] = k;
    ok[j] = keep;
  }
}

// Voxel ids of every kept point (ids count up in order of first point), point counts and, when
// asked, double sums of x, y, z per id. Blocks of points: copy x, y, z out, compute the keys
// (vectorised), then walk the kept points. A point in the previous point's voxel skips the
// table, and its sums stay in registers; the slot of the key a few points ahead is prefetched,
// so the table's cache misses overlap instead of stalling one by one.
template <bool kStrictClamp, bool kSums>
std::uint32_t assign_voxels(std::span<const PointCloudView> clouds, const GridParams& g,
                            VoxelWorkspace& ws, std::uint32_t* kept, std::uint32_t& kept_count) {
  constexpr std::size_t kAhead = 12;
  const std::uint32_t gx = g.grid[0], gy = g.grid[1], gz = g.grid[2];
  // Key strides of x, y, z (cell_key): ascending keys give the configured order.
  const std::uint32_t stride[3] = {g.order_zyx ? 1 : gy * gz, g.order_zyx ? gx : gz,
                                   g.order_zyx ? gx * gy : 1};
  const std::uint32_t cells = gx * gy * gz;
  Table t = reset_table(ws.slots, ws.expected_voxels);
  std::uint64_t* words = ws.id_words.data();  // key << 32 | id, by id
  std::uint32_t* count = ws.id_count.data();
  std::uint32_t* first_id = ws.first_id.data();
  double* sums = ws.id_sums.data();
  alignas(64) float xyz_block[3][kBlock];
  alignas(64) std::uint32_t key[kBlock], ok[kBlock], sel[kBlock];
  const float* const xyz[3] = {xyz_block[0], xyz_block[1], xyz_block[2]};
  std::uint32_t m = 0, r = 0, last_key = ~0u, last_id = 0, run = 0, sample_start = 0;
  double acc[3] = {0, 0, 0};
  auto flush = [&] {  // the run of points in voxel last_id ends
    if (run == 0) return;
    count[last_id] += run;
    if constexpr (kSums) {
      double* s = sums + 3 * std::size_t(last_id);
      s[0] = acc[0], s[1] = acc[1], s[2] = acc[2];
    }
  };
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    const PointCloudView& cl = clouds[b];
    const std::size_t nc = cl.num_channels();
    for (std::size_t start = 0; start < cl.size; start += kBlock) {
      const std::uint32_t first = sample_start + std::uint32_t(start);
      const std::size_t len = std::min(kBlock, cl.size - start);
      const float* p = cl.data + start * nc;
      for (std::size_t j = 0; j < len; ++j, p += nc)
        xyz_block[0][j] = p[0], xyz_block[1][j] = p[1], xyz_block[2][j] = p[2];
      block_cells<kStrictClamp>(xyz, len, g, stride, std::uint32_t(b) * cells, key, ok);
      std::size_t nk = 0;
      for (std::size_t j = 0; j < len; ++j) sel[nk] = std::uint32_t(j), nk += ok[j];
      for (std::size_t i = 0; i < nk; ++i) {
        const std::uint32_t j = sel[i], k = key[j];
        if (i + kAhead < nk) __builtin_prefetch(t.slots + slot_of(key[sel[i + kAhead]], t.shift));
        if (k != last_key) {
          flush();
          if (2 * std::size_t(m) >= t.mask) {  // half full: double and re-insert
            t = reset_table(ws.slots, 2 * std::size_t(m));
            for (std::uint32_t v = 0; v < m; ++v) insert(t, words[v]);
          }
          std::size_t h = slot_of(k, t.shift);
          for (;;) {
            const std::uint64_t s = t.slots[h];
            if (s == kEmpty) {  // a new voxel
              t.slots[h] = words[m] = std::uint64_t(k) << 32 | m;
              count[m] = 0;
              acc[0] = acc[1] = acc[2] = 0.0;
              last_id = m++;
              break;
            }
            if (std::uint32_t(s >> 32) == k) {
              last_id = std::uint32_t(s);
              if constexpr (kSums) {
                const double* sv = sums + 3 * std::size_t(last_id);
                acc[0] = sv[0], acc[1] = sv[1], acc[2] = sv[2];
              }
              break;
            }
            h = (h + 1) & t.mask;
          }
          last_key = k;
          run = 0;
        }
        ++run;
        if constexpr (kSums)  // ascending point order within each voxel, as voxel_means
          for (int a = 0; a < 3; ++a) acc[a] = d_add(acc[a], double(xyz[a][j]));
        first_id[r] = last_id;
        kept[r++] = first + j;
      }
    }
    sample_start += std::uint32_t(cl.size);
  }
  flush();
  kept_count = r;
  return m;
}

}  // namespace

bool voxelize_single_pass(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                          const GridParams& g, std::vector<float>* means) {
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
  if (n > (std::size_t(1) << 29)) return false;  // table slots come from 32-bit hashes
  // Per-id buffers only grow: resizing down and up again would re-initialise them every frame.
  const std::size_t ids =
      std::min<std::uint64_t>(n, std::max<std::uint64_t>(clouds.size(), 1) * cells);
  if (ws.id_words.size() < ids) ws.id_words.resize(ids);
  if (ws.id_count.size() < ids) ws.id_count.resize(ids);
  if (ws.first_id.size() < n) ws.first_id.resize(n);
  if (means && ws.id_sums.size() < 3 * ids) ws.id_sums.resize(3 * ids);
  out.kept_points.resize(n);
  std::uint32_t k = 0;
  std::uint32_t* kept = out.kept_points.data();
  const std::uint32_t m = g.strict_clamp
                              ? (means ? assign_voxels<true, true>(clouds, g, ws, kept, k)
                                       : assign_voxels<true, false>(clouds, g, ws, kept, k))
                              : (means ? assign_voxels<false, true>(clouds, g, ws, kept, k)
                                       : assign_voxels<false, false>(clouds, g, ws, kept, k));
  out.kept_points.resize(k);
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
  if (means) means->resize(3 * std::size_t(m));
  for (std::uint32_t v = 0; v < m; ++v) {
    const std::uint32_t id = std::uint32_t(sorted[v]), n = ws.id_count[id];
    rank[id] = v;
    out.keys[v] = sorted[v] >> 32;
    decoder.decode(std::uint32_t(out.keys[v]), &out.coords[4 * std::size_t(v)]);
    out.voxel_offsets[v + 1] = out.voxel_offsets[v] + n;
    if (means)  // as voxel_means: the voxel's double sums / point count, rounded to float
      for (int a = 0; a < 3; ++a)
        (*means)[3 * std::size_t(v) + a] =
            float(d_div(ws.id_sums[3 * std::size_t(id) + a], double(n)));
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
