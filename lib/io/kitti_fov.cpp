#include "io/kitti_fov.hpp"

#include <span>

namespace lidardet {

PointCloud kitti_fov_points(const PointCloud& cloud, const KittiCalib& calib, int width,
                            int height) {
  PointCloud out(cloud.channels());
  out.reserve(cloud.size());
  const std::size_t nc = cloud.num_channels();
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Eigen::Vector3d img =
        calib.rect_to_image(calib.lidar_to_rect({cloud.x(i), cloud.y(i), cloud.z(i)}));
    // Written so that NaN fails every comparison and the point is dropped.
    if (img(2) >= 0 && img(0) >= 0 && img(0) < width && img(1) >= 0 && img(1) < height)
      out.push_back(std::span<const float>(cloud.row(i), nc));
  }
  return out;
}

}  // namespace lidardet
