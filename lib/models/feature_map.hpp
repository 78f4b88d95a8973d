// A read-only (C, H, W) float map of one sample, as the heads' convolutions produce it.
#pragma once
#include <cstddef>

namespace lidardet {

struct FeatureMap {
  const float* data = nullptr;
  int channels = 0, height = 0, width = 0;

  float at(int c, int y, int x) const {
    return data[(static_cast<std::size_t>(c) * height + y) * width + x];
  }
};

}  // namespace lidardet
