#include "voxel/single_pass_voxelizer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "voxel/cpu_features.hpp"
#include "voxel/radix_sort.hpp"

namespace lidardet {
namespace {

constexpr std::uint32_t kNoKey = ~0u;  // never a cell key: batch x cells < 2^32

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
  KeyAxes ax;
  Divisor32 inner, middle, outer;
  explicit KeyDecoder(const GridParams& g)
      : ax(key_axes(g)),
        inner(g.grid[ax.axis[0]]),
        middle(g.grid[ax.axis[1]]),
        outer(g.grid[ax.axis[2]]) {}
  void decode(std::uint32_t key, std::int32_t out[4]) const {
    const std::uint32_t q0 = inner.quot(key), q1 = middle.quot(q0), q2 = outer.quot(q1);
    std::int32_t c[3];
    c[ax.axis[0]] = std::int32_t(key - q0 * inner.d);
    c[ax.axis[1]] = std::int32_t(q0 - q1 * middle.d);
    c[ax.axis[2]] = std::int32_t(q1 - q2 * outer.d);
    out[0] = std::int32_t(q2), out[1] = c[2], out[2] = c[1], out[3] = c[0];
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
LIDARDET_ALWAYS_INLINE inline void block_cells(const float* const xyz[3], std::size_t len,
                                               const GridParams& g, const std::uint32_t stride[3],
                                               std::uint32_t base, std::uint32_t* key,
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
    key[j] = keep ? k : kNoKey;
    ok[j] = keep;
  }
}

// Pass 1: the keys of every point, cut into runs of consecutive kept points with one key
// (consecutive LiDAR returns mostly share a voxel: about 3 points per run on the HDL-64 frame).
// Per run, a word key << 32 | run index, and where it starts (kept row, point index). No branch
// depends on the data: the run and kept counters advance by 0 or 1 and the stores are
// unconditional (their slots are overwritten until the counter moves on).
template <bool kStrictClamp>
LIDARDET_ALWAYS_INLINE inline std::uint32_t find_runs_body(std::span<const PointCloudView> clouds,
                                                           const GridParams& g, VoxelWorkspace& ws,
                                                           std::uint32_t* kept,
                                                           std::uint32_t& kept_count) {
  const KeyAxes key_layout = key_axes(g);
  const int* axes = key_layout.axis;
  std::uint32_t stride[3];  // cell_key's layout as strides
  stride[axes[0]] = 1;
  stride[axes[1]] = std::uint32_t(g.grid[axes[0]]);
  stride[axes[2]] = stride[axes[1]] * std::uint32_t(g.grid[axes[1]]);
  const std::uint32_t cells = stride[axes[2]] * std::uint32_t(g.grid[axes[2]]);
  std::uint64_t* words = ws.run_words.data();
  RunStart* run = ws.run_start.data();
  alignas(64) float xyz_block[3][kBlock];
  alignas(64) std::uint32_t key[kBlock], ok[kBlock];
  const float* const xyz[3] = {xyz_block[0], xyz_block[1], xyz_block[2]};
  std::uint32_t nr = 0, r = 0, prev = kNoKey, point = 0;
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    const PointCloudView& cl = clouds[b];
    const std::size_t nc = cl.num_channels();
    for (std::size_t start = 0; start < cl.size; start += kBlock) {
      const std::size_t len = std::min(kBlock, cl.size - start);
      const float* p = cl.data + start * nc;
      for (std::size_t j = 0; j < len; ++j, p += nc)
        xyz_block[0][j] = p[0], xyz_block[1][j] = p[1], xyz_block[2][j] = p[2];
      block_cells<kStrictClamp>(xyz, len, g, stride, std::uint32_t(b) * cells, key, ok);
      for (std::size_t j = 0; j < len; ++j, ++point) {
        const std::uint32_t k = key[j];  // kNoKey for a dropped point: it ends the run
        words[nr] = std::uint64_t(k) << 32 | nr;
        run[nr] = {r, point};
        nr += std::uint32_t(k != prev) & ok[j];
        kept[r] = point;
        r += ok[j];
        prev = k;
      }
    }
  }
  run[nr] = {r, point};
  kept_count = r;
  return nr;
}

template <bool kStrictClamp>
std::uint32_t find_runs_default(std::span<const PointCloudView> clouds, const GridParams& g,
                                VoxelWorkspace& ws, std::uint32_t* kept,
                                std::uint32_t& kept_count) {
  return find_runs_body<kStrictClamp>(clouds, g, ws, kept, kept_count);
}

#if LIDARDET_HAVE_AVX2_CLONES
template <bool kStrictClamp>
LIDARDET_TARGET_AVX2 std::uint32_t find_runs_avx2(std::span<const PointCloudView> clouds,
                                                  const GridParams& g, VoxelWorkspace& ws,
                                                  std::uint32_t* kept, std::uint32_t& kept_count) {
  return find_runs_body<kStrictClamp>(clouds, g, ws, kept, kept_count);
}
#endif

std::uint32_t find_runs(std::span<const PointCloudView> clouds, const GridParams& g,
                        VoxelWorkspace& ws, std::uint32_t* kept, std::uint32_t& kept_count,
                        bool avx2) {
#if LIDARDET_HAVE_AVX2_CLONES
  if (avx2)
    return g.strict_clamp ? find_runs_avx2<true>(clouds, g, ws, kept, kept_count)
                          : find_runs_avx2<false>(clouds, g, ws, kept, kept_count);
#endif
  (void)avx2;
  return g.strict_clamp ? find_runs_default<true>(clouds, g, ws, kept, kept_count)
                        : find_runs_default<false>(clouds, g, ws, kept, kept_count);
}

// Pass 3: walks the runs in key order. A new key opens a voxel; each run appends its rows to the
// voxel's point list (written in order: no scatter) and records its voxel. Runs are mostly short
// and of random length (on the HDL-64 frame 44 % hold one point, 81 % at most four), so little
// branches on the data: every run writes its voxel's key, the start offset goes to a spare slot
// when the voxel is not new, and the point list gets four rows at a time (rows past the run's end
// are overwritten by the next run; the caller leaves three spare slots at the end).
void walk_runs(Voxels& out, VoxelWorkspace& ws, const std::uint64_t* sorted, std::uint32_t nr) {
  const std::uint32_t spare = std::uint32_t(out.keys.size()) + 1;
  const RunStart* run = ws.run_start.data();
  std::uint32_t* run_voxel = ws.run_voxel.data();
  std::uint64_t* keys = out.keys.data();
  std::uint32_t* offsets = out.voxel_offsets.data();
  std::uint32_t* voxel_points = out.voxel_points.data();
  std::uint32_t pos = 0, v = 0;
  std::uint64_t cur = ~std::uint64_t(0);  // no key: keys are below 2^32
  constexpr std::uint32_t kAhead = 16;
  for (std::uint32_t i = 0; i < nr; ++i) {
    if (i + kAhead < nr) __builtin_prefetch(run + std::uint32_t(sorted[i + kAhead]));
    const std::uint64_t key = sorted[i] >> 32;
    const std::uint32_t idx = std::uint32_t(sorted[i]);
    const std::uint32_t fresh = key != cur;
    cur = key;
    v += fresh;
    keys[v - 1] = key;
    offsets[fresh ? v - 1 : spare] = pos;
    run_voxel[idx] = (v - 1) | fresh << 31;  // the voxel's first run: its sums start at 0
    const std::uint32_t row = run[idx].row, len = run[idx + 1].row - row;
    for (std::uint32_t t0 = 0; t0 < len; t0 += 4)
      for (std::uint32_t u = 0; u < 4; ++u) voxel_points[pos + t0 + u] = row + t0 + u;
    pos += len;
  }
  offsets[v] = pos;
}

// Four doubles or four lane masks; GCC and Clang lower them to the target's registers (two SSE2
// registers by default, one AVX register in the AVX2 clone).
typedef double Double4 __attribute__((vector_size(32)));
typedef float Float4 __attribute__((vector_size(16)));
typedef std::int64_t Mask4 __attribute__((vector_size(32)));

// Pass 4: the runs again, in point order: every kept row's voxel (four rows at a time, as above)
// and, with kSums, each voxel's double sums of x, y, z (lane 3 unused), adding its points in
// ascending order as voxel_means does. The points are read in order; the sums, 32 bytes per
// voxel, are the random accesses (prefetched a few runs ahead). Points past a run's end are
// masked to +0.0, which leaves a sum unchanged (a sum that starts at +0.0 is never -0.0).
// kWide: the points have a fourth channel, so one 16-byte read takes x, y, z.
template <bool kSums, bool kWide>
LIDARDET_ALWAYS_INLINE inline void runs_in_point_order(Voxels& out, VoxelWorkspace& ws,
                                                       std::span<const PointCloudView> clouds,
                                                       std::uint32_t nr) {
  const RunStart* run = ws.run_start.data();
  const std::uint32_t* run_voxel = ws.run_voxel.data();
  std::int32_t* point_voxel = out.point_voxel.data();
  double* sums = ws.voxel_sums.data();
  // The sample of the current run: its first point index, its end, its rows and channel count.
  std::size_t b = 0, sample_start = 0, sample_end = clouds.empty() ? 0 : clouds[0].size;
  const float* data = clouds.empty() ? nullptr : clouds[0].data;
  std::size_t nc = clouds.empty() ? 0 : clouds[0].num_channels();
  alignas(32) static constexpr double kZeros[4] = {0, 0, 0, 0};
  constexpr std::uint32_t kAhead = 16;
  for (std::uint32_t idx = 0; idx < nr; ++idx) {
    const std::uint32_t row = run[idx].row, len = run[idx + 1].row - row;
    const std::uint32_t v = run_voxel[idx] & 0x7fffffffu;
    for (std::uint32_t t0 = 0; t0 < len; t0 += 4)
      for (std::uint32_t u = 0; u < 4; ++u) point_voxel[row + t0 + u] = std::int32_t(v);
    if constexpr (kSums) {
      if (idx + kAhead < nr)
        __builtin_prefetch(sums + 4 * std::size_t(run_voxel[idx + kAhead] & 0x7fffffffu), 1);
      while (run[idx].point >= sample_end) {  // only at sample boundaries
        sample_start = sample_end, ++b;
        sample_end += clouds[b].size, data = clouds[b].data, nc = clouds[b].num_channels();
      }
      const float* p = data + (run[idx].point - sample_start) * nc;
      double* sv = sums + 4 * std::size_t(v);
      // A voxel's first run starts from +0.0, a later one from the stored sums. The address is
      // selected by arithmetic, not a branch (first runs come at random) and not by masking the
      // loaded value (that would wait for the load).
      const std::uintptr_t from_sums = reinterpret_cast<std::uintptr_t>(sv),
                           from_zeros = reinterpret_cast<std::uintptr_t>(kZeros),
                           first = 0 - std::uintptr_t(run_voxel[idx] >> 31);
      Double4 s;
      std::memcpy(&s,
                  reinterpret_cast<const double*>(from_sums ^ ((from_sums ^ from_zeros) & first)),
                  sizeof s);
      for (std::uint32_t t0 = 0; t0 < len; t0 += 4) {
        for (std::uint32_t u = 0; u < 4; ++u) {
          const std::uint32_t t = std::min(t0 + u, len - 1);
          const Mask4 live = Mask4{} - std::int64_t(t0 + u < len);  // all ones or zero
          const float* q = p + t * nc;
          Double4 x;
          if constexpr (kWide) {
            Float4 f;
            std::memcpy(&f, q, sizeof f);
            x = __builtin_convertvector(f, Double4);
          } else {
            x = Double4{q[0], q[1], q[2], 0.0};
          }
          s += (Double4)((Mask4)x & live);
        }
      }
      std::memcpy(sv, &s, sizeof s);
    }
  }
}

template <bool kSums, bool kWide>
void runs_in_point_order_default(Voxels& out, VoxelWorkspace& ws,
                                 std::span<const PointCloudView> clouds, std::uint32_t nr) {
  runs_in_point_order<kSums, kWide>(out, ws, clouds, nr);
}

#if LIDARDET_HAVE_AVX2_CLONES
template <bool kSums, bool kWide>
LIDARDET_TARGET_AVX2 void runs_in_point_order_avx2(Voxels& out, VoxelWorkspace& ws,
                                                   std::span<const PointCloudView> clouds,
                                                   std::uint32_t nr) {
  runs_in_point_order<kSums, kWide>(out, ws, clouds, nr);
}
#endif

template <bool kSums, bool kWide>
void point_pass(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                std::uint32_t nr, bool avx2) {
#if LIDARDET_HAVE_AVX2_CLONES
  if (avx2) return runs_in_point_order_avx2<kSums, kWide>(out, ws, clouds, nr);
#endif
  (void)avx2;
  runs_in_point_order_default<kSums, kWide>(out, ws, clouds, nr);
}

// Pass 5: coords from keys and, with `mean`, each voxel's mean as voxel_means computes it: its
// double sums divided by its point count, rounded to float (one 4-lane division per voxel).
LIDARDET_ALWAYS_INLINE inline void finish_voxels_body(Voxels& out, const VoxelWorkspace& ws,
                                                      const GridParams& g, float* mean) {
  const KeyDecoder decoder(g);
  const std::size_t m = out.keys.size();
  for (std::size_t v = 0; v < m; ++v)
    decoder.decode(std::uint32_t(out.keys[v]), &out.coords[4 * v]);
  if (!mean) return;
  const double* sums = ws.voxel_sums.data();
  const std::uint32_t* off = out.voxel_offsets.data();
  for (std::size_t v = 0; v < m; ++v) {
    Double4 s;
    std::memcpy(&s, sums + 4 * v, sizeof s);
    s /= double(off[v + 1] - off[v]);
    for (int a = 0; a < 3; ++a) mean[3 * v + a] = float(s[a]);
  }
}

void finish_voxels_default(Voxels& out, const VoxelWorkspace& ws, const GridParams& g,
                           float* mean) {
  finish_voxels_body(out, ws, g, mean);
}

#if LIDARDET_HAVE_AVX2_CLONES
LIDARDET_TARGET_AVX2 void finish_voxels_avx2(Voxels& out, const VoxelWorkspace& ws,
                                             const GridParams& g, float* mean) {
  finish_voxels_body(out, ws, g, mean);
}
#endif

void finish_voxels(Voxels& out, const VoxelWorkspace& ws, const GridParams& g, float* mean,
                   bool avx2) {
#if LIDARDET_HAVE_AVX2_CLONES
  if (avx2) return finish_voxels_avx2(out, ws, g, mean);
#endif
  (void)avx2;
  finish_voxels_default(out, ws, g, mean);
}

}  // namespace

bool voxelize_single_pass(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                          const GridParams& g, std::vector<float>* means) {
  const std::uint64_t cells = std::uint64_t(g.grid[0]) * std::uint64_t(g.grid[1]) * g.grid[2];
  const std::uint64_t batch_cells = std::max<std::uint64_t>(clouds.size(), 1) * cells;
  if (batch_cells > 0xffffffffu) return false;
  std::size_t n = 0;
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    if (clouds[b].size && clouds[b].num_channels() < 3)
      throw Error("voxelize: sample " + std::to_string(b) + " has " +
                  std::to_string(clouds[b].num_channels()) + " channels (expected x, y, z first)");
    n += clouds[b].size;
  }
  if (n > 0xffffffffu) throw Error("voxelize: more than 2^32 points in one batch");
  if (n >= 0x80000000u) return false;  // run voxel ids have a flag in their top bit
  // Buffers only grow: resizing down and up again would re-initialise them every frame.
  if (ws.run_words.size() < n) ws.run_words.resize(n);
  if (ws.run_start.size() < n + 1) ws.run_start.resize(n + 1);
  out.kept_points.resize(n);
  std::uint32_t k = 0;
  std::uint32_t* kept = out.kept_points.data();
  const bool avx2 = ws.use_avx2 && cpu_has_avx2();
  const std::uint32_t nr = find_runs(clouds, g, ws, kept, k, avx2);
  out.kept_points.resize(k);

  // Pass 2: runs in key order. The sort is stable, so the runs of one voxel stay in point order.
  std::vector<std::uint64_t>& sorted = ws.sorted;
  sorted.assign(ws.run_words.begin(), ws.run_words.begin() + nr);
  radix_sort_words(sorted, 32, 32 + bits_for(batch_cells - 1), ws.word_scratch);
  std::uint32_t m = nr ? 1 : 0;
  for (std::uint32_t i = 1; i < nr; ++i) m += (sorted[i] >> 32) != (sorted[i - 1] >> 32);

  // Pass 3: the sorted runs, turned into voxels, point lists and sums; pass 4: rows' voxels.
  out.keys.resize(m);
  out.coords.resize(4 * std::size_t(m));
  out.voxel_offsets.resize(std::size_t(m) + 2);  // the last slot takes the writes of no voxel
  out.point_voxel.resize(std::size_t(k) + 3);    // three spare rows for the 4-row writes
  out.voxel_points.resize(std::size_t(k) + 3);
  if (ws.run_voxel.size() < nr) ws.run_voxel.resize(nr);
  if (means && ws.voxel_sums.size() < 4 * std::size_t(m)) ws.voxel_sums.resize(4 * std::size_t(m));
  bool wide = true;  // every point has a fourth channel (or a next point) to read along
  for (const PointCloudView& c : clouds) wide &= c.size == 0 || c.num_channels() >= 4;
  walk_runs(out, ws, sorted.data(), nr);
  if (means && wide)
    point_pass<true, true>(out, ws, clouds, nr, avx2);
  else if (means)
    point_pass<true, false>(out, ws, clouds, nr, avx2);
  else
    point_pass<false, false>(out, ws, clouds, nr, avx2);
  out.point_voxel.resize(k);
  out.voxel_points.resize(k);
  out.voxel_offsets.resize(std::size_t(m) + 1);
  if (means) means->resize(3 * std::size_t(m));
  finish_voxels(out, ws, g, means ? means->data() : nullptr, avx2);
  return true;
}

}  // namespace lidardet
