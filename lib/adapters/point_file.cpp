#include "adapters/point_file.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "adapters/pcd.hpp"
#include "adapters/ply.hpp"
#include "core/error.hpp"
#include "io/kitti_velodyne.hpp"

namespace lidardet {

namespace {
std::string extension(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return e;
}
[[noreturn]] void unknown(const std::string& path) {
  throw Error(path + ": unknown point file extension (expected .bin, .pcd or .ply)");
}
}  // namespace

PointCloud read_points(const std::string& path) {
  const std::string e = extension(path);
  if (e == ".bin") return read_velodyne_bin(path);
  if (e == ".pcd") return read_pcd(path);
  if (e == ".ply") return read_ply(path);
  unknown(path);
}

void write_points(const std::string& path, const PointCloud& cloud) {
  const std::string e = extension(path);
  if (e == ".bin") return write_velodyne_bin(path, cloud);
  if (e == ".pcd") return write_pcd(path, cloud);
  if (e == ".ply") return write_ply(path, cloud);
  unknown(path);
}

}  // namespace lidardet
