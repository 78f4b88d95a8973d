// Sort-based voxelization on the device. Every step is a pure function of its input (stable
// radix sort, scans, one thread per voxel for reductions in point order), so the output never
// depends on the arrival order of atomics and matches the CPU voxelizer bit for bit.
#include <cub/cub.cuh>

#include "core/device.hpp"
#include "core/transfer.hpp"
#include "voxel_kernels.hpp"

namespace lidardet::cuda {
namespace {

constexpr int kThreads = 256;
inline unsigned blocks(std::size_t n) { return unsigned((n + kThreads - 1) / kThreads); }

template <class T>
void grow(T*& p, std::size_t& cap_unused, std::size_t count) {
  (void)cap_unused;
  if (p) check(cudaFree(p), "cudaFree");
  p = nullptr;
  check(cudaMalloc(&p, (count ? count : 1) * sizeof(T)), "cudaMalloc (voxelizer)");
}

__global__ void k_point_keys(const float* __restrict__ points, std::uint32_t n, int channels,
                             const std::uint32_t* __restrict__ starts, int batch, GridParams g,
                             std::uint64_t sentinel, std::uint64_t* keys, std::uint32_t* idx,
                             std::uint32_t* flags) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int lo = 0, hi = batch;  // largest b with starts[b] <= i
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (starts[mid] <= i)
      lo = mid;
    else
      hi = mid;
  }
  const float* p = points + std::size_t(i) * channels;
  int cell[3];
  const bool in = point_cell(p[0], p[1], p[2], g, cell);
  keys[i] = in ? cell_key(lo, cell, g) : sentinel;
  idx[i] = i;
  flags[i] = in ? 1u : 0u;
}

__global__ void k_compact(std::uint32_t n, const std::uint32_t* flags, const std::uint32_t* incl,
                          std::uint32_t* kept_points) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && flags[i]) kept_points[incl[i] - 1] = i;
}

__global__ void k_run_starts(std::uint32_t k, const std::uint64_t* keys, std::uint32_t* flags) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < k) flags[i] = (i == 0 || keys[i] != keys[i - 1]) ? 1u : 0u;
}

__global__ void k_unique(std::uint32_t k, const std::uint64_t* keys, const std::uint32_t* idx,
                         const std::uint32_t* flags, const std::uint32_t* voxel_incl,
                         const std::uint32_t* kept_incl, GridParams g, std::uint32_t* voxel_points,
                         std::int32_t* point_voxel, std::uint32_t* voxel_offsets,
                         std::uint64_t* unique_keys, std::int32_t* coords) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= k) return;
  const std::uint32_t v = voxel_incl[i] - 1;
  const std::uint32_t row = kept_incl[idx[i]] - 1;
  voxel_points[i] = row;
  point_voxel[row] = std::int32_t(v);
  if (flags[i]) {
    voxel_offsets[v] = i;
    unique_keys[v] = keys[i];
    key_to_coord(keys[i], g, coords + 4 * std::size_t(v));
  }
}

__global__ void k_finish_offsets(std::uint32_t m, std::uint32_t k, std::uint32_t* voxel_offsets,
                                 int batch, const std::uint64_t* unique_keys, std::uint64_t cells,
                                 std::uint32_t* sample_offsets) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b == 0) voxel_offsets[m] = k;
  if (b > batch) return;
  // First voxel whose key is >= b * cells.
  const std::uint64_t target = std::uint64_t(b) * cells;
  std::uint32_t lo = 0, hi = m;
  while (lo < hi) {
    const std::uint32_t mid = (lo + hi) / 2;
    if (unique_keys[mid] < target)
      lo = mid + 1;
    else
      hi = mid;
  }
  sample_offsets[b] = b == batch ? m : lo;
}

__global__ void k_means(std::uint32_t m, const float* __restrict__ points, int channels,
                        const std::uint32_t* kept_points, const std::uint32_t* voxel_offsets,
                        const std::uint32_t* voxel_points, float* means) {
  const std::uint32_t v = blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= m) return;
  double s[3] = {0, 0, 0};
  const std::uint32_t b = voxel_offsets[v], e = voxel_offsets[v + 1];
  for (std::uint32_t j = b; j < e; ++j) {
    const float* p = points + std::size_t(kept_points[voxel_points[j]]) * channels;
    for (int a = 0; a < 3; ++a) s[a] = d_add(s[a], double(p[a]));
  }
  for (int a = 0; a < 3; ++a) means[3 * v + a] = float(d_div(s[a], double(e - b)));
}

__global__ void k_features(std::uint32_t k, const float* __restrict__ points, int channels,
                           const std::uint32_t* kept_points, const std::int32_t* point_voxel,
                           const float* means, const std::int32_t* coords, GridParams g,
                           int use_abs, int with_cluster, int with_center, int with_distance,
                           std::uint64_t tanh_mask, int width, float* out) {
  const std::uint32_t r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= k) return;
  const float* p = points + std::size_t(kept_points[r]) * channels;
  const int v = point_voxel[r];
  float* f = out + std::size_t(r) * width;
  for (int c = use_abs ? 0 : 3; c < channels; ++c)
    *f++ = ((tanh_mask >> c) & 1u) ? portable_tanh(p[c]) : p[c];
  if (with_cluster)
    for (int a = 0; a < 3; ++a) *f++ = f_sub(p[a], means[3 * v + a]);
  if (with_center)
    for (int a = 0; a < 3; ++a) *f++ = f_sub(p[a], cell_center(coords[4 * v + 3 - a], a, g));
  if (with_distance) {
    const double x = p[0], y = p[1], z = p[2];
    *f++ = float(sqrt(d_add(d_add(d_mul(x, x), d_mul(y, y)), d_mul(z, z))));
  }
}

}  // namespace

void reserve(VoxelDeviceState& s, std::uint32_t n, int channels, int batch, int width) {
  std::size_t unused = 0;
  if (n > s.cap_n || !s.keys_in) {
    const std::size_t c = n;
    grow(s.keys_in, unused, c), grow(s.keys_out, unused, c);
    grow(s.idx_in, unused, c), grow(s.idx_out, unused, c);
    grow(s.flags, unused, c), grow(s.kept_incl, unused, c), grow(s.voxel_incl, unused, c);
    grow(s.kept_points, unused, c), grow(s.point_voxel, unused, c);
    grow(s.unique_keys, unused, c), grow(s.voxel_offsets, unused, c + 1);
    grow(s.voxel_points, unused, c), grow(s.coords, unused, 4 * c), grow(s.means, unused, 3 * c);
    // CUB scratch: the largest of the sort and the scans for n items.
    std::size_t sort_bytes = 0, scan_bytes = 0;
    check(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, s.keys_in, s.keys_out, s.idx_in,
                                          s.idx_out, int(c ? c : 1)),
          "cub sort size");
    check(cub::DeviceScan::InclusiveSum(nullptr, scan_bytes, s.flags, s.kept_incl, int(c ? c : 1)),
          "cub scan size");
    if (s.temp) check(cudaFree(s.temp), "cudaFree");
    s.temp_bytes = sort_bytes > scan_bytes ? sort_bytes : scan_bytes;
    check(cudaMalloc(&s.temp, s.temp_bytes), "cudaMalloc (cub)");
    s.cap_n = c;
  }
  const std::size_t pts = std::size_t(n) * channels;
  if (pts > s.cap_points || !s.points) grow(s.points, unused, pts), s.cap_points = pts;
  if (std::size_t(batch) + 1 > s.cap_batch || !s.starts) {
    grow(s.starts, unused, batch + 1), grow(s.sample_offsets, unused, batch + 1);
    s.cap_batch = batch + 1;
  }
  const std::size_t feats = std::size_t(n) * width;
  if (feats > s.cap_features || !s.features)
    grow(s.features, unused, feats), s.cap_features = feats;
  s.n = n, s.channels = channels, s.batch = batch, s.width = width;
}

void run_voxelize(VoxelDeviceState& s, bool features) {
  s.kept = s.voxels = 0;
  const std::uint64_t sentinel = std::uint64_t(1) << s.key_bits;
  if (s.n > 0) {
    k_point_keys<<<blocks(s.n), kThreads>>>(s.points, s.n, s.channels, s.starts, s.batch, s.grid,
                                            sentinel, s.keys_in, s.idx_in, s.flags);
    std::size_t bytes = s.temp_bytes;
    check(cub::DeviceScan::InclusiveSum(s.temp, bytes, s.flags, s.kept_incl, int(s.n)),
          "cub scan (kept)");
    k_compact<<<blocks(s.n), kThreads>>>(s.n, s.flags, s.kept_incl, s.kept_points);
    bytes = s.temp_bytes;
    check(cub::DeviceRadixSort::SortPairs(s.temp, bytes, s.keys_in, s.keys_out, s.idx_in, s.idx_out,
                                          int(s.n), 0, s.key_bits + 1),
          "cub radix sort (voxel keys)");
    s.kept = download_value(s.kept_incl + s.n - 1, "cudaMemcpy (count)");
  }
  if (s.kept > 0) {
    k_run_starts<<<blocks(s.kept), kThreads>>>(s.kept, s.keys_out, s.flags);
    std::size_t bytes = s.temp_bytes;
    check(cub::DeviceScan::InclusiveSum(s.temp, bytes, s.flags, s.voxel_incl, int(s.kept)),
          "cub scan (voxels)");
    k_unique<<<blocks(s.kept), kThreads>>>(s.kept, s.keys_out, s.idx_out, s.flags, s.voxel_incl,
                                           s.kept_incl, s.grid, s.voxel_points, s.point_voxel,
                                           s.voxel_offsets, s.unique_keys, s.coords);
    s.voxels = download_value(s.voxel_incl + s.kept - 1, "cudaMemcpy (count)");
  }
  k_finish_offsets<<<blocks(s.batch + 1), kThreads>>>(s.voxels, s.kept, s.voxel_offsets, s.batch,
                                                      s.unique_keys, s.cells, s.sample_offsets);
  if (s.voxels > 0)
    k_means<<<blocks(s.voxels), kThreads>>>(s.voxels, s.points, s.channels, s.kept_points,
                                            s.voxel_offsets, s.voxel_points, s.means);
  if (features && s.voxels > 0) {
    k_features<<<blocks(s.kept), kThreads>>>(s.kept, s.points, s.channels, s.kept_points,
                                             s.point_voxel, s.means, s.coords, s.grid,
                                             s.use_absolute_xyz, s.with_cluster, s.with_center,
                                             s.with_distance, s.tanh_mask, s.width, s.features);
  }
  check(cudaGetLastError(), "voxelizer kernels");
  check(cudaDeviceSynchronize(), "voxelizer synchronize");
}

void release(VoxelDeviceState& s) {
  void* ptrs[] = {s.points,         s.starts,      s.keys_in,       s.keys_out,     s.idx_in,
                  s.idx_out,        s.flags,       s.kept_incl,     s.voxel_incl,   s.kept_points,
                  s.point_voxel,    s.unique_keys, s.voxel_offsets, s.voxel_points, s.coords,
                  s.sample_offsets, s.means,       s.features,      s.temp};
  for (void* p : ptrs)
    if (p) cudaFree(p);
  s = VoxelDeviceState{};
}

}  // namespace lidardet::cuda
