// KITTI velodyne/*.bin: headerless little-endian float32 rows of x, y, z, reflectance.
#pragma once
#include <string>

#include "core/point_cloud.hpp"

namespace lidardet {

// Reads a .bin into a cloud with channels x, y, z, intensity. Throws lidardet::Error when the
// size is not a multiple of 16 bytes or a coordinate is NaN/Inf (naming the point index).
PointCloud read_velodyne_bin(const std::string& path);

// Writes the first four channels of each point (the cloud needs at least four) atomically.
void write_velodyne_bin(const std::string& path, const PointCloud& cloud);

}  // namespace lidardet
