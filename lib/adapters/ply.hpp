// PLY point clouds (the vertex element) as lidardet point clouds.
#pragma once
#include <string>

#include "core/point_cloud.hpp"

namespace lidardet {

// Reads ascii and binary (little/big endian) PLY. Channels: x, y, z first, then every other
// scalar vertex property in file order as float32; other elements (faces) are ignored.
// Throws lidardet::Error naming the file when it cannot be parsed, lacks x, y or z, or a
// point's x, y or z is not a finite number (naming the point).
PointCloud read_ply(const std::string& path);

// Writes the vertex element with one float property per channel, atomically.
void write_ply(const std::string& path, const PointCloud& cloud, bool binary = true);

}  // namespace lidardet
