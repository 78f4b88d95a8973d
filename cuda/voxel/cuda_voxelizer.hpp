// The CUDA voxelizer: the same voxels, order, point lists, means and features as the CPU
// voxelizer (lib/voxel), bit for bit. Device buffers persist across frames.
#pragma once
#include <memory>
#include <span>
#include <vector>

#include "voxel/dynamic_voxelizer.hpp"
#include "voxel/point_features.hpp"

namespace lidardet::cuda {

struct VoxelDeviceState;

class CudaVoxelizer {
 public:
  explicit CudaVoxelizer(const VoxelizerConfig& config);
  ~CudaVoxelizer();
  CudaVoxelizer(const CudaVoxelizer&) = delete;
  CudaVoxelizer& operator=(const CudaVoxelizer&) = delete;

  // Copies a batch to the device (all samples need the same channels, x y z first).
  void upload(std::span<const PointCloudView> clouds);
  // Voxelizes the uploaded batch on the device (voxel means always, point features when
  // asked); returns when done.
  void run(bool features = true);

  std::size_t num_voxels() const;
  std::size_t num_kept() const;
  // Downloads of the last run.
  Voxels voxels() const;
  std::vector<float> means() const;
  PointFeatures features() const;

 private:
  VoxelizerConfig config_;
  std::vector<std::string> channels_;
  std::unique_ptr<VoxelDeviceState> s_;
};

}  // namespace lidardet::cuda
