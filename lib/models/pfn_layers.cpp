#include "models/pfn_layers.hpp"

#include "models/sparse_voxels.hpp"

namespace lidardet {

nn::Tensor pfn_voxel_features(nn::Backend& be, const std::vector<nn::Linear>& layers,
                              const PointFeatures& pf, const Voxels& v) {
  const int64_t Np = int64_t(pf.rows), M = int64_t(v.num_voxels()), W = int64_t(pf.width);
  nn::Tensor feats = be.alloc({Np, W});
  be.copy(nn::Tensor::wrap(const_cast<float*>(pf.values.data()), {Np, W}, nn::DType::F32), feats);
  const nn::Tensor inv = index_tensor(be, v.point_voxel);
  for (std::size_t i = 0;; ++i) {
    const int64_t C = layers[i].w.dim(0);
    nn::Tensor y = be.alloc({Np, C});
    layers[i].forward(be, feats, y, nn::Act::ReLU);
    nn::Tensor pooled = be.alloc({M, C});
    be.scatter_reduce(y, inv, nn::Reduce::Max, pooled);
    if (i + 1 == layers.size()) return pooled;
    nn::Tensor back = be.alloc({Np, C});
    be.gather_rows(pooled, inv, back);
    feats = be.alloc({Np, 2 * C});
    be.concat({y, back}, 1, feats);
  }
}

}  // namespace lidardet
