// Device side of the CUDA window sorter (C++17 for nvcc).
#pragma once
#include <cstddef>
#include <cstdint>

#include "window/window_keys.hpp"

namespace lidardet::cuda {

struct WindowDeviceState {
  std::uint32_t m = 0, padded = 0;
  std::int32_t* coords = nullptr;     // m x 4 (b, z, y, x)
  std::uint32_t* flat2win = nullptr;  // padded
  std::uint32_t* win2flat = nullptr;  // m
  std::uint64_t* keys = nullptr;      // m, input order
  std::uint64_t* sorted_keys = nullptr;
  std::uint32_t* iota = nullptr;
  std::uint32_t* perm = nullptr;
  std::uint32_t* inverse = nullptr;
  std::uint32_t* gather = nullptr;   // padded
  std::uint32_t* scatter = nullptr;  // m
  int* duplicate = nullptr;          // set when two voxels share a key
  void* temp = nullptr;
  std::size_t temp_bytes = 0, cap_m = 0, cap_padded = 0;
};

void reserve(WindowDeviceState& s, std::uint32_t m, std::uint32_t padded);
// One order: keys (FlatFormer when flat != nullptr, else LION), sort, inverse, gather, scatter.
// key_bits bounds every key. Asynchronous on stream 0.
void run_window_order(WindowDeviceState& s, const FlatKeyParams* flat, FlatOrder flat_order,
                      const LionKeyParams* lion, LionDirection dir, int key_bits);
// Waits for the device; throws when any sorted keys were equal (duplicate voxels).
void finish_window_orders(WindowDeviceState& s);
void release(WindowDeviceState& s);

}  // namespace lidardet::cuda
