// The CUDA nn backend behind the plain nn::Backend interface, so that lib/models can construct
// it without CUDA headers (lidardet::Detector with DetectorBackend::Cuda).
#pragma once
#include <memory>

#include "nn/backend.hpp"

namespace lidardet::cuda {

// A CudaBackend on the default stream; throws lidardet::Error naming the reason when no CUDA
// device can be used by this process.
std::unique_ptr<lidardet::nn::Backend> make_cuda_backend();

}  // namespace lidardet::cuda
