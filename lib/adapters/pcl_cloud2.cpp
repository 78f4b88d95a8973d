#include "adapters/pcl_cloud2.hpp"

#include <pcl/PCLPointCloud2.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace lidardet::detail {

namespace {

struct Column {
  std::string name;
  std::size_t offset;  // byte offset within a point
  std::uint8_t type;   // pcl::PCLPointField::PointFieldTypes
};

std::size_t type_size(std::uint8_t t) {
  using F = pcl::PCLPointField;
  switch (t) {
    case F::INT8:
    case F::UINT8:
      return 1;
    case F::INT16:
    case F::UINT16:
      return 2;
    case F::INT32:
    case F::UINT32:
    case F::FLOAT32:
      return 4;
    case F::FLOAT64:
      return 8;
    default:
      return 0;
  }
}

template <typename T>
T load(const std::uint8_t* p, bool swap) {
  std::uint8_t b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

float to_float(const std::uint8_t* p, std::uint8_t t, bool swap) {
  using F = pcl::PCLPointField;
  switch (t) {
    case F::INT8:
      return static_cast<float>(load<std::int8_t>(p, false));
    case F::UINT8:
      return static_cast<float>(load<std::uint8_t>(p, false));
    case F::INT16:
      return static_cast<float>(load<std::int16_t>(p, swap));
    case F::UINT16:
      return static_cast<float>(load<std::uint16_t>(p, swap));
    case F::INT32:
      return static_cast<float>(load<std::int32_t>(p, swap));
    case F::UINT32:
      return static_cast<float>(load<std::uint32_t>(p, swap));
    case F::FLOAT32:
      return load<float>(p, swap);
    default:
      return static_cast<float>(load<double>(p, swap));
  }
}

}  // namespace

PointCloud from_pcl_cloud2(const pcl::PCLPointCloud2& c, const std::string& path) {
  std::vector<Column> cols;
  int xyz[3] = {-1, -1, -1};
  for (const auto& f : c.fields) {
    if (f.name == "_") continue;  // PCL's padding fields
    const std::size_t sz = type_size(f.datatype);
    if (sz == 0) fail(path, 0, f.name, "unsupported field type " + std::to_string(int(f.datatype)));
    const std::size_t count = std::max<std::uint32_t>(f.count, 1);
    if (f.offset + sz * count > c.point_step)
      fail(path, 0, f.name, "field lies outside the point record");
    for (std::size_t k = 0; k < count; ++k) {
      const std::string name = count == 1 ? f.name : f.name + "_" + std::to_string(k);
      for (int a = 0; a < 3; ++a)
        if (name == std::string(1, char('x' + a))) xyz[a] = static_cast<int>(cols.size());
      cols.push_back({name, f.offset + k * sz, f.datatype});
    }
  }
  for (int a = 0; a < 3; ++a)
    if (xyz[a] < 0) fail(path, 0, std::string(1, char('x' + a)), "missing field");
  // x, y, z first, then the others in file order.
  std::vector<Column> ordered = {cols[xyz[0]], cols[xyz[1]], cols[xyz[2]]};
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (int(i) != xyz[0] && int(i) != xyz[1] && int(i) != xyz[2]) ordered.push_back(cols[i]);
  std::vector<std::string> names;
  for (const auto& col : ordered) names.push_back(col.name);

  const std::size_t w = c.width, h = c.height;
  const std::size_t row_step = c.row_step ? c.row_step : w * c.point_step;
  if (h > 0 && w > 0 && (h - 1) * row_step + w * c.point_step > c.data.size())
    fail(path, 0, "", "the data holds fewer bytes than " + std::to_string(w * h) + " points need");
  const bool swap = c.is_bigendian != (std::endian::native == std::endian::big);
  PointCloud out(names);
  out.reserve(w * h);
  std::vector<float> row(ordered.size());
  for (std::size_t r = 0; r < h; ++r)
    for (std::size_t i = 0; i < w; ++i) {
      const std::uint8_t* p = c.data.data() + r * row_step + i * c.point_step;
      for (std::size_t k = 0; k < ordered.size(); ++k)
        row[k] = to_float(p + ordered[k].offset, ordered[k].type, swap);
      for (int a = 0; a < 3; ++a)
        if (!std::isfinite(row[a]))
          fail(path, 0, std::string(1, char('x' + a)),
               "point " + std::to_string(r * w + i) + " is not a finite number");
      out.push_back(row);
    }
  return out;
}

void require_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) throw Error(path + ": cannot open for reading");
}

void check_channel_names(const PointCloud& cloud, const std::string& path) {
  for (const auto& n : cloud.channels())
    if (n.empty() || n.find_first_of(" \t\r\n") != std::string::npos)
      fail(path, 0, n, "channel names must be single words to be written as fields");
}

void write_ascii_points(std::ostream& os, const PointCloud& cloud) {
  const std::size_t nc = cloud.num_channels();
  char buf[32];
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    for (std::size_t k = 0; k < nc; ++k) {
      std::snprintf(buf, sizeof buf, k ? " %.9g" : "%.9g", double(cloud(i, k)));
      os << buf;
    }
    os << '\n';
  }
}

}  // namespace lidardet::detail
