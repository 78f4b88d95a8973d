#include "io/kitti_velodyne.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet {

static_assert(std::endian::native == std::endian::little,
              "KITTI .bin files are little-endian; add byte swapping for this host");

namespace {
constexpr std::size_t kFloatsPerPoint = 4;
constexpr std::size_t kBytesPerPoint = kFloatsPerPoint * sizeof(float);
const char* const kChannelNames[kFloatsPerPoint] = {"x", "y", "z", "intensity"};
}  // namespace

PointCloud read_velodyne_bin(const std::string& path) {
  // Read straight into the cloud's storage: a second full-size buffer costs more (page faults,
  // zeroing) than the read itself.
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!in || ec) throw Error(path + ": cannot open for reading");
  if (size % kBytesPerPoint != 0)
    fail(path, 0, "",
         "size " + std::to_string(size) +
             " bytes is not a multiple of 16 (float32 x, y, z, reflectance per point)");
  const std::size_t n = size / kBytesPerPoint;
  PointCloud cloud({"x", "y", "z", "intensity"}, n);
  in.read(reinterpret_cast<char*>(cloud.data()), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw Error(path + ": read failed");
  const float* v = cloud.data();
  for (std::size_t i = 0; i < n * kFloatsPerPoint; ++i) {
    if (!std::isfinite(v[i]))
      fail(path, 0, kChannelNames[i % kFloatsPerPoint],
           "point " + std::to_string(i / kFloatsPerPoint) + " is not finite (" +
               std::to_string(v[i]) + ")");
  }
  return cloud;
}

void write_velodyne_bin(const std::string& path, const PointCloud& cloud) {
  const std::size_t c = cloud.num_channels();
  if (c < kFloatsPerPoint)
    throw Error(path + ": a KITTI .bin needs 4 channels (x, y, z, intensity), the cloud has " +
                std::to_string(c));
  const std::size_t n = cloud.size();
  std::string bytes(n * kBytesPerPoint, '\0');
  if (c == kFloatsPerPoint) {
    if (n > 0) std::memcpy(bytes.data(), cloud.data(), bytes.size());
  } else {
    for (std::size_t i = 0; i < n; ++i)
      std::memcpy(bytes.data() + i * kBytesPerPoint, cloud.row(i), kBytesPerPoint);
  }
  write_file_atomic(path, bytes);
}

}  // namespace lidardet
