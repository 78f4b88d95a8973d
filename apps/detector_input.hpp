// The point files `lidardet detect` and `lidardet bench detect` read: KITTI .bin, .pcd/.ply (when
// the adapters are built) or an (N, 4|5) float .npy with columns x, y, z, intensity[, elongation]
// (the Waymo-style configs need the fifth channel).
#pragma once
#include <filesystem>
#include <string>

#include "core/point_cloud.hpp"

namespace lidardet::cli {

// True for the extensions read_detector_frame accepts (case-insensitive).
bool is_point_file(const std::filesystem::path& p);
// Throws lidardet::Error naming the file and what was expected.
PointCloud read_detector_frame(const std::string& path);

}  // namespace lidardet::cli
