#include "io/kitti_velodyne.hpp"

#include <bit>
#include <cmath>
#include <cstring>
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
  const std::string bytes = read_file_bytes(path);
  if (bytes.size() % kBytesPerPoint != 0)
    fail(path, 0, "",
         "size " + std::to_string(bytes.size()) +
             " bytes is not a multiple of 16 (float32 x, y, z, reflectance per point)");
  const std::size_t n = bytes.size() / kBytesPerPoint;
  PointCloud cloud({"x", "y", "z", "intensity"}, n);
  if (n > 0) std::memcpy(cloud.data(), bytes.data(), bytes.size());
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
