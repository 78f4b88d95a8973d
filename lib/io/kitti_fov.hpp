// OpenPCDet's DATA_CONFIG.FOV_POINTS_ONLY for KITTI (data.md §2): a KITTI model sees only the
// points of the front camera's field of view, since labels exist only there.
#pragma once
#include "core/point_cloud.hpp"
#include "io/kitti_calib.hpp"

namespace lidardet {

// The points whose image_2 projection (P2 after R0_rect and Tr_velo_to_cam) lands inside a
// width x height image, 0 <= u < width and 0 <= v < height, with depth >= 0; order and channels
// kept. Points that project to NaN (depth 0) are dropped.
PointCloud kitti_fov_points(const PointCloud& cloud, const KittiCalib& calib, int width,
                            int height);

}  // namespace lidardet
