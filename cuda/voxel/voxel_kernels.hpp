// Device side of the CUDA voxelizer (C++17: nvcc compiles it). Buffers are raw device pointers
// owned by CudaVoxelizer; they grow on demand and are reused across frames.
#pragma once
#include <cstddef>
#include <cstdint>

#include "voxel/voxel_math.hpp"

namespace lidardet::cuda {

struct VoxelDeviceState {
  // Settings (from VoxelizerConfig).
  GridParams grid{};
  int key_bits = 0;         // bits of the largest valid key; the drop sentinel is 1 << key_bits
  std::uint64_t cells = 0;  // X * Y * Z
  int use_absolute_xyz = 1, with_cluster = 1, with_center = 1, with_distance = 0;
  std::uint64_t tanh_mask = 0;  // bit c: tanh on channel c

  // Sizes of the current frame.
  std::uint32_t n = 0, kept = 0, voxels = 0;
  int batch = 0, channels = 0, width = 0;

  // Inputs.
  float* points = nullptr;          // n x channels, samples concatenated
  std::uint32_t* starts = nullptr;  // batch + 1 point offsets
  // Work and outputs (sized for n points; voxels <= kept <= n).
  std::uint64_t* keys_in = nullptr;
  std::uint64_t* keys_out = nullptr;
  std::uint32_t* idx_in = nullptr;
  std::uint32_t* idx_out = nullptr;
  std::uint32_t* flags = nullptr;
  std::uint32_t* kept_incl = nullptr;   // inclusive scan of kept flags (row + 1)
  std::uint32_t* voxel_incl = nullptr;  // inclusive scan of run starts (voxel + 1)
  std::uint32_t* kept_points = nullptr;
  std::int32_t* point_voxel = nullptr;
  std::uint64_t* unique_keys = nullptr;
  std::uint32_t* voxel_offsets = nullptr;  // n + 1
  std::uint32_t* voxel_points = nullptr;
  std::int32_t* coords = nullptr;  // 4 n
  std::uint32_t* sample_offsets = nullptr;
  float* means = nullptr;     // 3 n
  float* features = nullptr;  // n x width
  void* temp = nullptr;
  std::size_t temp_bytes = 0;
  std::size_t cap_n = 0, cap_points = 0, cap_batch = 0, cap_features = 0;
};

// Grows the buffers for n points of `channels` floats, `batch` samples, `width` features.
void reserve(VoxelDeviceState& s, std::uint32_t n, int channels, int batch, int width);
// Runs the whole voxelization on uploaded points (stream 0), voxel means included and the
// point features when asked; sets s.kept and s.voxels.
// Synchronizes once to read the kept and voxel counts.
void run_voxelize(VoxelDeviceState& s, bool features);
void release(VoxelDeviceState& s);

}  // namespace lidardet::cuda
