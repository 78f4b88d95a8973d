// Whole-array copies between host vectors and device buffers for the CUDA stages' upload and
// download calls; errors name the direction (cuda::check throws lidardet::Error).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

#include "core/device.hpp"

namespace lidardet::cuda {

// The first n elements of a device buffer.
template <class T>
std::vector<T> download(const T* dev, std::size_t n) {
  std::vector<T> out(n);
  if (n) check(cudaMemcpy(out.data(), dev, n * sizeof(T), cudaMemcpyDeviceToHost), "download");
  return out;
}

// All of v into a device buffer that holds at least v.size() elements.
template <class T>
void upload_vec(T* dev, const std::vector<T>& v) {
  if (!v.empty())
    check(cudaMemcpy(dev, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
}

}  // namespace lidardet::cuda
