// Point files by extension: .bin (KITTI velodyne), .pcd, .ply.
#pragma once
#include <string>

#include "core/point_cloud.hpp"

namespace lidardet {

// Dispatches on the (case-insensitive) extension; throws lidardet::Error for any other.
PointCloud read_points(const std::string& path);
// .bin writes x, y, z, intensity (the cloud needs them first); .pcd and .ply write all channels.
void write_points(const std::string& path, const PointCloud& cloud);

}  // namespace lidardet
