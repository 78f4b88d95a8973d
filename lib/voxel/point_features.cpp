#include "voxel/point_features.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "voxel/parallel.hpp"

namespace lidardet {
namespace {

std::vector<std::size_t> batch_starts(std::span<const PointCloudView> clouds) {
  std::vector<std::size_t> starts(clouds.size() + 1, 0);
  for (std::size_t b = 0; b < clouds.size(); ++b) starts[b + 1] = starts[b] + clouds[b].size;
  return starts;
}

// Row of global point i (concatenated batch index).
const float* point_row(std::span<const PointCloudView> clouds,
                       const std::vector<std::size_t>& starts, std::size_t i) {
  if (starts.size() == 2) return clouds[0].row(i);  // one sample: no search
  const std::size_t b = std::upper_bound(starts.begin(), starts.end(), i) - starts.begin() - 1;
  return clouds[b].row(i - starts[b]);
}

}  // namespace

std::vector<float> voxel_means(std::span<const PointCloudView> clouds, const Voxels& voxels,
                               int threads) {
  std::vector<float> means;
  voxel_means_into(means, clouds, voxels, threads);
  return means;
}

void voxel_means_into(std::vector<float>& means, std::span<const PointCloudView> clouds,
                      const Voxels& voxels, int threads) {
  const auto starts = batch_starts(clouds);
  const std::size_t m = voxels.num_voxels();
  means.resize(3 * m);
  if (chunk_count(m, threads, 2048) <= 1) {
    // One thread: read the points once, in order, adding each to its voxel's sums (instead of
    // jumping through every voxel's point list). Within a voxel the additions still come in
    // ascending point order, so every sum has the same bits as in the per-voxel loop below.
    // Consecutive points mostly share a voxel: a run's sums stay in registers (same additions,
    // same order) and go back to memory when the voxel changes.
    std::vector<double> sums(3 * m, 0.0);
    std::size_t b = 0;
    const std::size_t k = voxels.num_kept();
    for (std::size_t r = 0; r < k;) {
      const std::int32_t v = voxels.point_voxel[r];
      double* s = &sums[3 * std::size_t(v)];
      double acc[3] = {s[0], s[1], s[2]};
      do {
        const std::size_t i = voxels.kept_points[r];
        while (i >= starts[b + 1]) ++b;
        const float* p = clouds[b].row(i - starts[b]);
        for (int a = 0; a < 3; ++a) acc[a] = d_add(acc[a], double(p[a]));
      } while (++r < k && voxels.point_voxel[r] == v);
      s[0] = acc[0], s[1] = acc[1], s[2] = acc[2];
    }
    for (std::size_t v = 0; v < m; ++v)
      for (int a = 0; a < 3; ++a)
        means[3 * v + a] = float(d_div(sums[3 * v + a], double(voxels.voxel_size(v))));
    return;
  }
  parallel_chunks(m, chunk_count(m, threads, 2048), [&](std::size_t b, std::size_t e, int) {
    for (std::size_t v = b; v < e; ++v) {
      double s[3] = {0, 0, 0};
      const std::uint32_t n = voxels.voxel_size(v);
      for (std::uint32_t j = voxels.voxel_offsets[v]; j < voxels.voxel_offsets[v + 1]; ++j) {
        const float* p = point_row(clouds, starts, voxels.kept_points[voxels.voxel_points[j]]);
        for (int a = 0; a < 3; ++a) s[a] = d_add(s[a], double(p[a]));
      }
      for (int a = 0; a < 3; ++a) means[3 * v + a] = float(d_div(s[a], double(n)));
    }
  });
}

std::vector<std::string> feature_names(const std::vector<std::string>& channels,
                                       const VoxelizerConfig& config) {
  std::vector<std::string> names;
  for (std::size_t c = config.use_absolute_xyz ? 0 : 3; c < channels.size(); ++c)
    names.push_back(channels[c]);
  if (config.with_cluster_center)
    for (const char* a : {"x", "y", "z"}) names.push_back(std::string("cluster_") + a);
  if (config.with_voxel_center)
    for (const char* a : {"x", "y", "z"}) names.push_back(std::string("center_") + a);
  if (config.with_distance) names.push_back("distance");
  return names;
}

PointFeatures point_features(std::span<const PointCloudView> clouds, const Voxels& voxels,
                             const VoxelizerConfig& config, int threads,
                             const std::vector<float>* means_in) {
  PointFeatures out;
  point_features_into(out, clouds, voxels, config, threads, means_in);
  return out;
}

void point_features_into(PointFeatures& out, std::span<const PointCloudView> clouds,
                         const Voxels& voxels, const VoxelizerConfig& config, int threads,
                         const std::vector<float>* means_in) {
  out.rows = out.width = 0;
  out.names.clear();
  out.values.clear();
  if (clouds.empty()) return;
  const std::vector<std::string>& channels = *clouds[0].channels;
  for (std::size_t b = 1; b < clouds.size(); ++b)
    if (*clouds[b].channels != channels)
      throw Error("point_features: sample " + std::to_string(b) +
                  " has other channels than sample 0");
  std::vector<bool> use_tanh(channels.size(), false);
  for (const std::string& name : config.tanh_channels) {
    auto it = std::find(channels.begin(), channels.end(), name);
    if (it == channels.end())
      throw Error("TANH_CHANNELS: the point cloud has no channel '" + name + "'");
    use_tanh[it - channels.begin()] = true;
  }
  std::vector<float> own_means;
  if (!means_in && config.with_cluster_center) own_means = voxel_means(clouds, voxels, threads);
  const std::vector<float>& means = means_in ? *means_in : own_means;
  const GridParams g = grid_params(config);
  const auto starts = batch_starts(clouds);
  const std::size_t nc = channels.size();
  out.names = feature_names(channels, config);
  out.width = out.names.size();
  out.rows = voxels.num_kept();
  out.values.resize(out.rows * out.width);
  parallel_chunks(out.rows, chunk_count(out.rows, threads), [&](std::size_t b, std::size_t e, int) {
    for (std::size_t r = b; r < e; ++r) {
      const float* p = point_row(clouds, starts, voxels.kept_points[r]);
      const std::int32_t v = voxels.point_voxel[r];
      float* f = &out.values[r * out.width];
      for (std::size_t c = config.use_absolute_xyz ? 0 : 3; c < nc; ++c)
        *f++ = use_tanh[c] ? portable_tanh(p[c]) : p[c];
      if (config.with_cluster_center)
        for (int a = 0; a < 3; ++a) *f++ = f_sub(p[a], means[3 * v + a]);
      if (config.with_voxel_center)
        for (int a = 0; a < 3; ++a)  // coords are (b, z, y, x)
          *f++ = f_sub(p[a], cell_center(voxels.coords[4 * v + 3 - a], a, g));
      if (config.with_distance) {
        const double d = double(p[0]) * p[0] + double(p[1]) * p[1] + double(p[2]) * p[2];
        *f++ = float(std::sqrt(d));
      }
    }
  });
}

}  // namespace lidardet
