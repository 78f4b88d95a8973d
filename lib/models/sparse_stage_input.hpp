// Sparse voxels handed to a stage as recorded tensors (trace --stage-input, parity tests).
#pragma once
#include <array>
#include <string>

#include "models/sparse_voxels.hpp"

namespace lidardet {

// features [M, C] f32 and coords [M, 4] i32 rows (batch 0, z, y, x) inside `shape` (Z, Y, X),
// features copied to the backend. Errors name the stage, the tensor and the offending row.
SparseVoxels sparse_stage_input(nn::Backend& be, const std::string& stage,
                                const std::string& features_name, const nn::Tensor& features,
                                const std::string& coords_name, const nn::Tensor& coords,
                                const std::array<int64_t, 3>& shape);

}  // namespace lidardet
