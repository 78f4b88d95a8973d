// Per-point VFE input features of DynamicVoxelVFE / DynamicPillarVFE (OpenPCDet) and DynamicVFE
// (mmdet3d): [x, y, z, extras..., xyz - voxel mean, xyz - voxel centre, |xyz|?].
#pragma once
#include <span>
#include <string>
#include <vector>

#include "core/point_cloud.hpp"
#include "voxel/dynamic_voxelizer.hpp"

namespace lidardet {

struct PointFeatures {
  std::size_t rows = 0;   // = voxels.num_kept(), in kept-point order
  std::size_t width = 0;  // channels per row
  std::vector<std::string> names;
  std::vector<float> values;  // rows x width, row-major
};

// Mean x, y, z of each voxel (M x 3). Sums run in double in ascending point order, then round
// to float, so the result does not depend on threads (or on the CUDA backend).
std::vector<float> voxel_means(std::span<const PointCloudView> clouds, const Voxels& voxels,
                               int threads = 1);
// The same into a caller-owned vector (no allocation when it is already large enough).
void voxel_means_into(std::vector<float>& means, std::span<const PointCloudView> clouds,
                      const Voxels& voxels, int threads = 1);

// Names of the feature channels for clouds with these channels.
std::vector<std::string> feature_names(const std::vector<std::string>& channels,
                                       const VoxelizerConfig& config);

// Features of every kept point. `means` may be passed when already computed. tanh replaces
// the channels named in config.tanh_channels (throws naming a channel the cloud lacks).
PointFeatures point_features(std::span<const PointCloudView> clouds, const Voxels& voxels,
                             const VoxelizerConfig& config, int threads = 1,
                             const std::vector<float>* means = nullptr);
// The same into `out`, reusing its memory (a frame then allocates nothing).
void point_features_into(PointFeatures& out, std::span<const PointCloudView> clouds,
                         const Voxels& voxels, const VoxelizerConfig& config, int threads = 1,
                         const std::vector<float>* means = nullptr);

}  // namespace lidardet
