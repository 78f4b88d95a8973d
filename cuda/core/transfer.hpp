// Whole-array copies between host vectors and device buffers for the CUDA stages' upload and
// download calls; errors name `what` (cuda::check throws lidardet::Error).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

#include "core/device.hpp"

namespace lidardet::cuda {

// The first n elements of a device buffer.
template <class T>
std::vector<T> download(const T* dev, std::size_t n, const char* what = "download") {
  std::vector<T> out(n);
  if (n) check(cudaMemcpy(out.data(), dev, n * sizeof(T), cudaMemcpyDeviceToHost), what);
  return out;
}

// One value of device memory (a count or a flag a kernel wrote).
template <class T>
T download_value(const T* dev, const char* what) {
  T v{};
  check(cudaMemcpy(&v, dev, sizeof v, cudaMemcpyDeviceToHost), what);
  return v;
}

// All of v into a device buffer that holds at least v.size() elements.
template <class T>
void upload_vec(T* dev, const std::vector<T>& v, const char* what = "upload") {
  if (!v.empty())
    check(cudaMemcpy(dev, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), what);
}

}  // namespace lidardet::cuda
