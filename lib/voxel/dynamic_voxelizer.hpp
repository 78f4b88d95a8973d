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
// thread with 32-bit keys it is the single pass of single_pass_voxelizer.hpp, 2-3x faster than
// sorting every point's key (docs/perf/voxel.md). With threads > 1 both use the chunked key pass.
enum class UniqueMethod { kSort, kHash };

// Scratch buffers of voxelize_into, kept between frames so that a frame allocates nothing.
struct VoxelWorkspace {
  std::vector<std::vector<std::uint64_t>> chunk_keys;
  std::vector<std::vector<std::uint32_t>> chunk_rows;
  std::vector<std::uint64_t> point_key, sorted;
  std::vector<std::uint32_t> rows;
  RadixScratch radix;
  std::vector<std::uint64_t> table;  // hash method only
  std::vector<std::uint32_t> slot_id, first_id, order, rank, fill;
  // Single-pass path: table of key << 32 | id words, and per voxel id (order of first point)
  // its word and point count. These only grow; expected_voxels sizes the
  // table.
  std::vector<std::uint64_t> slots, id_words, word_scratch;
  std::vector<std::uint32_t> id_count;
  std::vector<double> id_sums;  // x, y, z sums per id when means are asked for
  std::size_t expected_voxels = 0;
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
