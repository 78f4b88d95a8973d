// The CUDA window sorter: FlatFormer and LION orders with the same keys, permutations and
// gather/scatter maps as lib/window, bit for bit. The group mapping (a few integers per
// sample) is built on the host and uploaded.
#pragma once
#include <memory>
#include <vector>

#include "window/window_sorter.hpp"

namespace lidardet::cuda {

struct WindowDeviceState;

class CudaWindowSorter {
 public:
  CudaWindowSorter();
  ~CudaWindowSorter();
  CudaWindowSorter(const CudaWindowSorter&) = delete;
  CudaWindowSorter& operator=(const CudaWindowSorter&) = delete;

  // Uploads voxel coordinates (b, z, y, x) and the group mapping for `group_size`.
  void upload(const std::vector<std::int32_t>& coords, int batch_size, int group_size);
  // Device work for all four FlatFormer orders / both LION directions; returns when done.
  void run_flatformer(const FlatWindowConfig& config);
  void run_lion(const LionWindowConfig& config);

  // Host copies of the last run (run_* fills one order at a time, so these rerun per order).
  FlatFormerOrders flatformer(const FlatWindowConfig& config);
  LionOrders lion(const LionWindowConfig& config);

 private:
  WindowOrder download_order() const;
  std::vector<std::int32_t> coords_;
  int batch_size_ = 0;
  GroupMapping mapping_;
  std::unique_ptr<WindowDeviceState> s_;
};

}  // namespace lidardet::cuda
