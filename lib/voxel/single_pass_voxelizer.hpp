// One-thread dynamic voxelization for batches whose cell keys fit in 32 bits (every published
// grid does). Consecutive LiDAR returns mostly share a voxel, so the points are read once and cut
// into runs of equal keys (about 3 points per run on a spinning-LiDAR frame); only the runs are
// radix-sorted by key (stable: a voxel's runs stay in point order), and walking them in that
// order gives the voxels, their point lists and, in a last pass over the runs in point order,
// every point's voxel and the per-voxel sums for the means. No hash table, no per-point sort.
// The hot loops have an AVX2 build chosen at run time (VoxelWorkspace::use_avx2).
// The result is identical to the sort-based path: same voxel order, point lists and coords.
#pragma once
#include <span>
#include <vector>

#include "core/point_cloud.hpp"
#include "voxel/dynamic_voxelizer.hpp"

namespace lidardet {

// Fills everything of `out` but batch_size and sample_offsets, and `means` (bit for bit as
// voxel_means) when given. Returns false, touching nothing, when batch size x
// cells does not fit in 32-bit keys or the batch has 2^31 points or more (the caller then uses
// the general path).
bool voxelize_single_pass(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                          const GridParams& g, std::vector<float>* means = nullptr);

}  // namespace lidardet
