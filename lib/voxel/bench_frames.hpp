// Seeded spinning-LiDAR-like frames for the voxelizer and window benchmarks, used until (and
// besides) the simulator's frames: rings of a 64-beam sensor hitting a ground plane and
// vertical surfaces at random distances. Not a sensor model; only the point count, extent and
// per-voxel density resemble real frames.
#pragma once
#include <cstdint>
#include <string>

#include "core/point_cloud.hpp"

namespace lidardet {

// "hdl64": about 120k points, x y z intensity, elevations -24.8 .. +2 deg, 1.73 m mount.
// "waymo": about 180k points, x y z intensity elongation, -17.6 .. +2.5 deg, 2.2 m mount.
// Throws lidardet::Error for another kind.
PointCloud synthetic_frame(const std::string& kind, std::uint32_t seed);

}  // namespace lidardet
