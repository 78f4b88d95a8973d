// Per-voxel reductions of per-point rows (torch_scatter's scatter_mean / scatter_max over the
// voxel of each point), in a fixed order so results are reproducible.
#pragma once
#include <cstddef>
#include <vector>

#include "voxel/dynamic_voxelizer.hpp"

namespace lidardet {

// rows: num_kept x width, in kept-point order. Returns M x width.
// Mean: double sums in ascending point order, rounded to float.
std::vector<float> scatter_mean(const std::vector<float>& rows, std::size_t width,
                                const Voxels& voxels, int threads = 1);
// Max: per channel; a NaN in a voxel's channel makes that output NaN.
std::vector<float> scatter_max(const std::vector<float>& rows, std::size_t width,
                               const Voxels& voxels, int threads = 1);

}  // namespace lidardet
