// Turns an unpickled PyTorch object into named tensors: finds the state dict inside the
// training wrappers (OpenPCDet, mmcv/mmdet3d, plain {'model': ...}) and materializes each
// strided tensor view as a contiguous array.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "checkpoint/checkpoint.hpp"
#include "checkpoint/pickle.hpp"

namespace lidardet::checkpoint_detail {

// Returns the bytes of the storage with this index (as numbered by the container).
using StorageBytes = std::function<std::string_view(int64_t index)>;

// Fills checkpoint.tensors, .wrapper and .metadata from the top-level object. `byte_budget`
// bounds the total bytes materialized (views may repeat a storage; see docs/checkpoints.md).
void extract_state_dict(Ref top, const StorageBytes& storage_bytes, uint64_t byte_budget,
                        Checkpoint& checkpoint);

}  // namespace lidardet::checkpoint_detail
