#include "nn/cuda_backend_factory.hpp"

#include "nn/cuda_backend.hpp"

namespace lidardet::cuda {

std::unique_ptr<lidardet::nn::Backend> make_cuda_backend() {
  return std::make_unique<CudaBackend>();
}

}  // namespace lidardet::cuda
