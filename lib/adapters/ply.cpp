#include "adapters/ply.hpp"

#include <pcl/io/ply_io.h>

#include <bit>
#include <cstdio>

#include "adapters/pcl_cloud2.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet {

PointCloud read_ply(const std::string& path) {
  detail::require_file(path);
  pcl::PCLPointCloud2 c;
  pcl::PLYReader reader;
  if (reader.read(path, c) < 0)
    fail(path, 0, "", "not a valid PLY file (PCL's reader rejected it; see its message above)");
  return detail::from_pcl_cloud2(c, path);
}

void write_ply(const std::string& path, const PointCloud& cloud, bool binary) {
  static_assert(std::endian::native == std::endian::little, "binary PLY is written little-endian");
  detail::check_channel_names(cloud, path);
  std::string header = std::string("ply\nformat ") + (binary ? "binary_little_endian" : "ascii") +
                       " 1.0\ncomment written by lidardet\nelement vertex " +
                       std::to_string(cloud.size()) + "\n";
  for (const auto& n : cloud.channels()) header += "property float " + n + "\n";
  header += "end_header\n";
  const std::size_t nc = cloud.num_channels();
  if (binary) {
    header.append(reinterpret_cast<const char*>(cloud.data()), cloud.size() * nc * 4);
    write_file_atomic(path, header);
    return;
  }
  write_file_atomic(path, [&](std::ostream& os) {
    os << header;
    detail::write_ascii_points(os, cloud);
  });
}

}  // namespace lidardet
