#include "adapters/pcd.hpp"

#include <pcl/io/pcd_io.h>

#include <cstdio>
#include <cstring>

#include "adapters/pcd_reader.hpp"
#include "adapters/pcl_cloud2.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet {

PointCloud read_pcd(const std::string& path) {
  return detail::parse_pcd(read_file_bytes(path), path);
}

namespace {

std::string pcd_header(const PointCloud& cloud, const char* data) {
  std::string fields, sizes, types, counts;
  for (const auto& n : cloud.channels()) {
    fields += ' ' + n;
    sizes += " 4";
    types += " F";
    counts += " 1";
  }
  const std::string n = std::to_string(cloud.size());
  return "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS" + fields + "\nSIZE" +
         sizes + "\nTYPE" + types + "\nCOUNT" + counts + "\nWIDTH " + n +
         "\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS " + n + "\nDATA " + data + "\n";
}

// The cloud as PCL's untyped cloud (float32 fields, unorganized), for PCL's compressed writer.
pcl::PCLPointCloud2 to_pcl_cloud2(const PointCloud& cloud) {
  pcl::PCLPointCloud2 c;
  for (std::size_t k = 0; k < cloud.num_channels(); ++k) {
    pcl::PCLPointField f;
    f.name = cloud.channels()[k];
    f.offset = static_cast<std::uint32_t>(4 * k);
    f.datatype = pcl::PCLPointField::FLOAT32;
    f.count = 1;
    c.fields.push_back(f);
  }
  c.height = 1;
  c.width = static_cast<std::uint32_t>(cloud.size());
  c.point_step = static_cast<std::uint32_t>(4 * cloud.num_channels());
  c.row_step = c.point_step * c.width;
  c.is_dense = true;
  c.data.resize(cloud.size() * cloud.num_channels() * 4);
  if (!c.data.empty()) std::memcpy(c.data.data(), cloud.data(), c.data.size());
  return c;
}

}  // namespace

void write_pcd(const std::string& path, const PointCloud& cloud, PcdEncoding encoding) {
  detail::check_channel_names(cloud, path);
  const std::size_t nc = cloud.num_channels();
  switch (encoding) {
    case PcdEncoding::ascii:
      write_file_atomic(path, [&](std::ostream& os) {
        os << pcd_header(cloud, "ascii");
        detail::write_ascii_points(os, cloud);
      });
      break;
    case PcdEncoding::binary: {
      std::string bytes = pcd_header(cloud, "binary");
      bytes.append(reinterpret_cast<const char*>(cloud.data()), cloud.size() * nc * 4);
      write_file_atomic(path, bytes);
      break;
    }
    case PcdEncoding::binary_compressed: {
      const pcl::PCLPointCloud2 c = to_pcl_cloud2(cloud);
      write_file_atomic(
          path,
          [&](std::ostream& os) {
            pcl::PCDWriter w;
            if (w.writeBinaryCompressed(os, c) < 0)
              throw Error(path + ": PCL could not compress the cloud");
          },
          true);
      break;
    }
  }
}

}  // namespace lidardet
