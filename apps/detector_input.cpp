#include "detector_input.hpp"

#include <span>
#include <vector>

#include "core/error.hpp"
#include "io/kitti_velodyne.hpp"
#include "models/npz.hpp"
#ifdef LIDARDET_HAVE_ADAPTERS
#include "adapters/point_file.hpp"
#endif

namespace lidardet::cli {
namespace fs = std::filesystem;

namespace {
PointCloud read_npy_cloud(const std::string& path) {
  const nn::Tensor t = read_npy(path);
  if (t.rank() != 2 || t.dim(1) < 4 || t.dim(1) > 5 || t.dtype() != nn::DType::F32)
    throw Error(path +
                ": expected a float (N, 4) or (N, 5) array (x, y, z, intensity[, "
                "elongation]), got " +
                nn::shape_string(t.shape()) +
                (t.rank() == 2 && t.dim(1) == 6
                     ? " (OpenPCDet's Waymo frames: pass their sequence folder, or --format "
                       "openpcdet)"
                     : ""));
  std::vector<std::string> ch = {"x", "y", "z", "intensity", "elongation"};
  ch.resize(t.dim(1));
  PointCloud cloud(ch);
  for (int64_t i = 0; i < t.dim(0); ++i)
    cloud.push_back(std::span<const float>(t.f32() + i * t.dim(1), t.dim(1)));
  return cloud;
}
}  // namespace

bool is_point_file(const fs::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = char(std::tolower(c));
  return e == ".bin" || e == ".pcd" || e == ".ply" || e == ".npy";
}

PointCloud read_detector_frame(const std::string& path) {
  if (fs::path(path).extension() == ".npy") return read_npy_cloud(path);
#ifdef LIDARDET_HAVE_ADAPTERS
  return read_points(path);
#else
  if (fs::path(path).extension() != ".bin")
    throw Error(path + ": only .bin point files are supported in this build (no adapters)");
  return read_velodyne_bin(path);
#endif
}

}  // namespace lidardet::cli
