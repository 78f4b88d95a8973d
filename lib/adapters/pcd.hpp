// PCD (PCL point cloud data) files as lidardet point clouds.
#pragma once
#include <string>

#include "core/point_cloud.hpp"

namespace lidardet {

enum class PcdEncoding { ascii, binary, binary_compressed };

// Reads any PCD encoding. Channels: x, y, z first, then every other field in file order as
// float32 (a field with COUNT k > 1 becomes name_0 .. name_{k-1}; "_" padding is dropped).
// Points with a non-finite x, y or z (the "no return" of organized clouds) are dropped.
// Throws lidardet::Error naming the file when it cannot be parsed or lacks x, y or z.
PointCloud read_pcd(const std::string& path);

// Writes all channels as float32 fields, atomically. Channel names must be single words.
void write_pcd(const std::string& path, const PointCloud& cloud,
               PcdEncoding encoding = PcdEncoding::binary);

}  // namespace lidardet
