// CUDA device discovery. Callable (and false) on machines without a GPU.
#pragma once
#include <string>

namespace lidardet::cuda {

// True when a CUDA device can be used by this process.
bool device_available();
// "NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)" or the reason none is usable.
std::string device_description();
// Throws lidardet::Error naming `what` when `status` (a cudaError_t) is not success.
void check(int status, const char* what);

}  // namespace lidardet::cuda
