#include "cuda_voxelizer.hpp"

#include <cuda_runtime.h>

#include <algorithm>

#include "core/device.hpp"
#include "core/error.hpp"
#include "core/transfer.hpp"
#include "voxel/radix_sort.hpp"
#include "voxel_kernels.hpp"

namespace lidardet::cuda {
CudaVoxelizer::CudaVoxelizer(const VoxelizerConfig& config)
    : config_(config), s_(std::make_unique<VoxelDeviceState>()) {
  s_->grid = grid_params(config);
  s_->cells = config.cells();
  s_->use_absolute_xyz = config.use_absolute_xyz;
  s_->with_cluster = config.with_cluster_center;
  s_->with_center = config.with_voxel_center;
  s_->with_distance = config.with_distance;
}

CudaVoxelizer::~CudaVoxelizer() { release(*s_); }

void CudaVoxelizer::upload(std::span<const PointCloudView> clouds) {
  channels_.clear();
  std::vector<std::uint32_t> starts(clouds.size() + 1, 0);
  for (std::size_t b = 0; b < clouds.size(); ++b) {
    const auto& c = clouds[b];
    if (c.size == 0) {
      starts[b + 1] = starts[b];
      continue;
    }
    if (channels_.empty()) channels_ = *c.channels;
    if (*c.channels != channels_)
      throw Error("CudaVoxelizer: sample " + std::to_string(b) + " has other channels");
    if (channels_.size() < 3 || channels_.size() > 64)
      throw Error("CudaVoxelizer: expected 3 .. 64 channels, x y z first");
    if (std::uint64_t(starts[b]) + c.size > 0xffffffffu)
      throw Error("CudaVoxelizer: more than 2^32 points in one batch");
    starts[b + 1] = starts[b] + std::uint32_t(c.size);
  }
  const int nc = int(channels_.size());
  s_->tanh_mask = 0;
  for (const std::string& name : config_.tanh_channels) {
    auto it = std::find(channels_.begin(), channels_.end(), name);
    if (it == channels_.end() && !channels_.empty())
      throw Error("TANH_CHANNELS: the point cloud has no channel '" + name + "'");
    if (it != channels_.end()) s_->tanh_mask |= std::uint64_t(1) << (it - channels_.begin());
  }
  const int width = int(feature_names(channels_, config_).size());
  reserve(*s_, starts.back(), nc, int(clouds.size()), width);
  const std::uint64_t max_key = std::max<std::uint64_t>(clouds.size(), 1) * config_.cells() - 1;
  s_->key_bits = bits_for(max_key);
  for (std::size_t b = 0; b < clouds.size(); ++b)
    if (clouds[b].size)
      check(cudaMemcpy(s_->points + std::size_t(starts[b]) * nc, clouds[b].data,
                       clouds[b].size * nc * sizeof(float), cudaMemcpyHostToDevice),
            "upload points");
  upload_vec(s_->starts, starts, "upload starts");
}

void CudaVoxelizer::run(bool features) { run_voxelize(*s_, features && !channels_.empty()); }

std::size_t CudaVoxelizer::num_voxels() const { return s_->voxels; }
std::size_t CudaVoxelizer::num_kept() const { return s_->kept; }

Voxels CudaVoxelizer::voxels() const {
  Voxels v;
  v.batch_size = s_->batch;
  v.coords = download(s_->coords, 4 * std::size_t(s_->voxels));
  v.keys = download(s_->unique_keys, s_->voxels);
  v.kept_points = download(s_->kept_points, s_->kept);
  v.point_voxel = download(s_->point_voxel, s_->kept);
  v.voxel_offsets = download(s_->voxel_offsets, std::size_t(s_->voxels) + 1);
  v.voxel_points = download(s_->voxel_points, s_->kept);
  v.sample_offsets = download(s_->sample_offsets, std::size_t(s_->batch) + 1);
  return v;
}

std::vector<float> CudaVoxelizer::means() const {
  return download(s_->means, 3 * std::size_t(s_->voxels));
}

PointFeatures CudaVoxelizer::features() const {
  PointFeatures f;
  if (channels_.empty()) return f;
  f.names = feature_names(channels_, config_);
  f.width = f.names.size();
  f.rows = s_->kept;
  f.values = download(s_->features, f.rows * f.width);
  return f;
}

}  // namespace lidardet::cuda
