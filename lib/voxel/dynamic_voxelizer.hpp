// Dynamic voxelization: every point in range goes to its voxel, with no per-voxel cap. The unique
// voxels come out in ascending key order (VoxelOrder), so the result is independent of thread
// count and of how the work was scheduled.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/point_cloud.hpp"
#include "voxel/radix_sort.hpp"
#include "voxel/voxel_config.hpp"
#include "voxel/voxel_math.hpp"

namespace lidardet {

struct Voxels {
  int batch_size = 0;
  std::vector<std::int32_t> coords;  // M x 4: (b, z, y, x), ascending key order
  std::vector<std::uint64_t> keys;   // M cell keys (cell_key), strictly ascending
  // Kept points: indices into the batch's concatenated points, ascending. Feature rows and
  // `point_voxel` follow this order.
  std::vector<std::uint32_t> kept_points;
  std::vector<std::int32_t> point_voxel;      // per kept point: its voxel (torch's unq_inv)
  std::vector<std::uint32_t> voxel_offsets;   // M + 1: CSR into voxel_points
  std::vector<std::uint32_t> voxel_points;    // kept-point rows of each voxel, ascending
  std::vector<std::uint32_t> sample_offsets;  // batch_size + 1: voxels of sample b

  std::size_t num_voxels() const { return keys.size(); }
  std::size_t num_kept() const { return kept_points.size(); }
  std::uint32_t voxel_size(std::size_t v) const { return voxel_offsets[v + 1] - voxel_offsets[v]; }
};

GridParams grid_params(const VoxelizerConfig& config);

// How the unique voxels are found; both give identical output. kHash is the default: on one
// thread with 32-bit keys it is the run-based path of single_pass_voxelizer.hpp (which sorts
// runs of equal keys rather than hashing; 3-4x faster than sorting every point's key,
// docs/perf/voxel.md). With threads > 1 both use the chunked key pass, kHash with a hash table.
enum class UniqueMethod { kSort, kHash };

// Where a run of kept points starts: its kept row and its point index in the batch.
struct RunStart {
  std::uint32_t row, point;
};

// Scratch buffers of voxelize_into, kept between frames so that a frame allocates nothing.
struct VoxelWorkspace {
  std::vector<std::vector<std::uint64_t>> chunk_keys;
  std::vector<std::vector<std::uint32_t>> chunk_rows;
  std::vector<std::uint64_t> point_key, sorted;
  std::vector<std::uint32_t> rows;
  RadixScratch radix;
  std::vector<std::uint64_t> table;  // hash method only
  std::vector<std::uint32_t> slot_id, first_id, order, rank, fill;
  // Single-pass path: per run of consecutive points in one voxel, key << 32 | run index, and
  // where it starts (n + 1 entries). These only grow.
  std::vector<std::uint64_t> run_words, word_scratch;
  std::vector<RunStart> run_start;
  std::vector<std::uint32_t> run_voxel;  // each run's voxel
  std::vector<double> voxel_sums;        // x, y, z, - sums per voxel when means are asked for
  // The one-thread path uses AVX2 where the CPU has it; false forces the baseline code (the
  // results are identical either way: tests compare the two).
  bool use_avx2 = true;
};

// Voxelizes a batch into `out`, reusing its and the workspace's memory. With `means`, also
// writes the voxel means exactly as voxel_means_into would (bit for bit); on the one-thread
// path they come from the same read of the points.
void voxelize_into(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                   const VoxelizerConfig& config, int threads = 1,
                   UniqueMethod method = UniqueMethod::kHash, std::vector<float>* means = nullptr);

// Voxelizes a batch (sample b = clouds[b]; every cloud needs x, y, z as channels 0..2).
Voxels voxelize(std::span<const PointCloudView> clouds, const VoxelizerConfig& config,
                int threads = 1, UniqueMethod method = UniqueMethod::kHash);
Voxels voxelize(const PointCloud& cloud, const VoxelizerConfig& config, int threads = 1,
                UniqueMethod method = UniqueMethod::kHash);

}  // namespace lidardet
