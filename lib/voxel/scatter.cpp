#include "voxel/scatter.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "voxel/parallel.hpp"
#include "voxel/voxel_math.hpp"

namespace lidardet {
namespace {

void check_rows(const std::vector<float>& rows, std::size_t width, const Voxels& voxels) {
  if (rows.size() != width * voxels.num_kept())
    throw Error("scatter: " + std::to_string(rows.size()) + " values, expected " +
                std::to_string(width) + " x " + std::to_string(voxels.num_kept()) + " points");
}

}  // namespace

std::vector<float> scatter_mean(const std::vector<float>& rows, std::size_t width,
                                const Voxels& voxels, int threads) {
  check_rows(rows, width, voxels);
  const std::size_t m = voxels.num_voxels();
  std::vector<float> out(m * width);
  parallel_chunks(m, chunk_count(m, threads, 1024), [&](std::size_t b, std::size_t e, int) {
    std::vector<double> acc(width);
    for (std::size_t v = b; v < e; ++v) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::uint32_t j = voxels.voxel_offsets[v]; j < voxels.voxel_offsets[v + 1]; ++j) {
        const float* r = &rows[std::size_t(voxels.voxel_points[j]) * width];
        for (std::size_t c = 0; c < width; ++c) acc[c] = d_add(acc[c], double(r[c]));
      }
      const double n = voxels.voxel_size(v);
      for (std::size_t c = 0; c < width; ++c) out[v * width + c] = float(d_div(acc[c], n));
    }
  });
  return out;
}

std::vector<float> scatter_max(const std::vector<float>& rows, std::size_t width,
                               const Voxels& voxels, int threads) {
  check_rows(rows, width, voxels);
  const std::size_t m = voxels.num_voxels();
  std::vector<float> out(m * width, -std::numeric_limits<float>::infinity());
  parallel_chunks(m, chunk_count(m, threads, 1024), [&](std::size_t b, std::size_t e, int) {
    for (std::size_t v = b; v < e; ++v) {
      float* o = &out[v * width];
      for (std::uint32_t j = voxels.voxel_offsets[v]; j < voxels.voxel_offsets[v + 1]; ++j) {
        const float* r = &rows[std::size_t(voxels.voxel_points[j]) * width];
        for (std::size_t c = 0; c < width; ++c)
          if (std::isnan(r[c]) || r[c] > o[c]) o[c] = std::isnan(o[c]) ? o[c] : r[c];
      }
    }
  });
  return out;
}

}  // namespace lidardet
