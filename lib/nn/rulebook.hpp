// Rulebooks of sparse 3D convolutions (spconv semantics), built on the host from voxel
// coordinates (b, z, y, x) and copied into the backend's arena (valid until its next reset). Kernel
// offset index k = (kz * ky_size + ky) * kx_size + kx, matching spconv 2.x weights (out, kz, ky,
// kx, in).
#pragma once
#include <array>

#include "nn/backend.hpp"

namespace lidardet::nn {

using Grid3 = std::array<int64_t, 3>;  // (Z, Y, X)

// Submanifold conv (outputs only at the input sites, zero padding): output i at p gets input j
// at p + (kz - kz_size/2, ky - ky_size/2, kx - kx_size/2). Kernel sizes must be odd.
// Throws lidardet::Error for coordinates outside the grid or duplicated sites.
Rulebook build_subm_rulebook(Backend& be, const Tensor& coords, const Grid3& grid,
                             const Grid3& kernel = {3, 3, 3});

struct StridedRulebook {
  Rulebook rulebook;
  Tensor out_coords;  // host I32 [M, 4], sorted ascending by (b, z, y, x)
  Grid3 out_grid;     // (in + 2 pad - kernel) / stride + 1 per axis
};

// Regular (strided) sparse conv: output site o gets input p when p = o * stride - pad + k.
StridedRulebook build_strided_rulebook(Backend& be, const Tensor& coords, const Grid3& grid,
                                       const Grid3& kernel, const Grid3& stride, const Grid3& pad);

}  // namespace lidardet::nn
