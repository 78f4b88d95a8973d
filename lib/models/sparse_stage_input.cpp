#include "models/sparse_stage_input.hpp"

#include "core/error.hpp"

namespace lidardet {

SparseVoxels sparse_stage_input(nn::Backend& be, const std::string& stage,
                                const std::string& features_name, const nn::Tensor& features,
                                const std::string& coords_name, const nn::Tensor& coords,
                                const std::array<int64_t, 3>& shape) {
  if (features.rank() != 2 || features.dtype() != nn::DType::F32 || coords.rank() != 2 ||
      coords.dim(1) != 4 || coords.dim(0) != features.dim(0) || coords.dtype() != nn::DType::I32)
    throw Error("stage " + stage + ": expected " + features_name + " [M, C] f32 and " +
                coords_name + " [M, 4] i32");
  SparseVoxels s;
  s.shape = shape;
  s.coords.assign(coords.i32(), coords.i32() + coords.numel());
  for (int64_t r = 0; r < coords.dim(0); ++r)
    for (int k = 0; k < 4; ++k) {
      const int32_t v = s.coords[r * 4 + k];
      const int64_t lim = k == 0 ? 1 : shape[k - 1];
      if (v < 0 || v >= lim)
        throw Error("stage " + stage + ": " + coords_name + " row " + std::to_string(r) +
                    " is outside the grid (batch 0, shape (Z, Y, X) = (" +
                    std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ", " +
                    std::to_string(shape[2]) + "))");
    }
  s.features = be.alloc(features.shape());
  be.copy(features, s.features);
  return s;
}

}  // namespace lidardet
