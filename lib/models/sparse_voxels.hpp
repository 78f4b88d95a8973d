// A sparse voxel tensor of the detectors: coordinates on the host (index bookkeeping such as
// window sorting and merging runs there), features on the backend.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "nn/backend.hpp"

namespace lidardet {

struct SparseVoxels {
  std::vector<std::int32_t> coords;  // M x 4 rows (b, z, y, x)
  nn::Tensor features;               // [M, C] on the backend
  std::array<int64_t, 3> shape{};    // Z, Y, X
  int batch_size = 1;
  int64_t size() const { return static_cast<int64_t>(coords.size() / 4); }
};

// Called with every stage's output (trace, parity tests). The Detector hands it host tensors
// (device outputs are copied over first); module code may pass device tensors.
using StageRecorder = std::function<void(const std::string& name, const nn::Tensor& t)>;

// Host I32 tensor [n] (or [n/cols, cols] for coordinates) from integer rows.
template <typename Int>
nn::Tensor host_index_tensor(const std::vector<Int>& v, int64_t cols = 1) {
  static_assert(sizeof(Int) == 4);
  const int64_t n = static_cast<int64_t>(v.size());
  nn::Tensor t = cols == 1 ? nn::Tensor::empty({n}, nn::DType::I32)
                           : nn::Tensor::empty({n / cols, cols}, nn::DType::I32);
  if (n) std::memcpy(t.raw(), v.data(), v.size() * 4);
  return t;
}

// The same in the backend's per-frame memory (an explicit host-to-device copy on a device).
template <typename Int>
nn::Tensor index_tensor(nn::Backend& be, const std::vector<Int>& v, int64_t cols = 1) {
  return be.upload_frame(host_index_tensor(v, cols));
}

}  // namespace lidardet
