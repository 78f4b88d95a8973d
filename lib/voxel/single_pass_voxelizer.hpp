// One-thread dynamic voxelization in a single read of the points, for batches whose cell keys
// fit in 32 bits (every published grid does). Consecutive LiDAR returns mostly share a voxel, so
// the previous point's voxel is tried first; other points go through an open-addressing table of
// (key << 32 | voxel id) words. Only the unique voxels are then sorted (by key), not the points.
// The result is identical to the sort-based path: same voxel order, point lists and coords.
#pragma once
#include <span>
#include <vector>

#include "core/point_cloud.hpp"
#include "voxel/dynamic_voxelizer.hpp"

namespace lidardet {

// Fills everything of `out` but batch_size and sample_offsets, and `means` (voxel_means) when
// given, from the same read of the points. Returns false, touching nothing, when batch size x
// cells does not fit in 32-bit keys or the batch has over 2^29 points (the caller then uses the
// general path).
bool voxelize_single_pass(Voxels& out, VoxelWorkspace& ws, std::span<const PointCloudView> clouds,
                          const GridParams& g, std::vector<float>* means = nullptr);

}  // namespace lidardet
