// KITTI calib/*.txt: P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo, in this fixed order.
#pragma once
#include <Eigen/Core>
#include <string>

namespace lidardet {

using Matrix34d = Eigen::Matrix<double, 3, 4>;

struct KittiCalib {
  Matrix34d P0 = Matrix34d::Zero(), P1 = Matrix34d::Zero(), P2 = Matrix34d::Zero(),
            P3 = Matrix34d::Zero();
  Eigen::Matrix3d R0_rect = Eigen::Matrix3d::Identity();
  Matrix34d Tr_velo_to_cam = Matrix34d::Zero();
  Matrix34d Tr_imu_to_velo = Matrix34d::Zero();

  // LiDAR -> rectified camera: R0 * (Tr_velo_to_cam * [p; 1]).
  Eigen::Vector3d lidar_to_rect(const Eigen::Vector3d& p) const;
  // Rectified camera -> LiDAR: the exact inverse of lidar_to_rect.
  Eigen::Vector3d rect_to_lidar(const Eigen::Vector3d& p) const;
  // Rectified camera -> image_2 pixels through P2: (u, v) and the depth (3rd homogeneous
  // coordinate; <= 0 means behind the camera).
  Eigen::Vector3d rect_to_image(const Eigen::Vector3d& p) const;

  bool operator==(const KittiCalib& o) const;
};

// Reads the seven keyed lines (found by key; order and a trailing empty line are tolerated).
// Throws lidardet::Error naming the file, line and key when a key is missing or duplicated, a
// value count is wrong or a value is not a finite number.
KittiCalib read_kitti_calib(const std::string& path);

// Writes the seven lines in the fixed order with "%.12e" values, atomically.
void write_kitti_calib(const std::string& path, const KittiCalib& calib);

// A calib for synthetic data: all four P = K [I | 0] with the given intrinsics, R0_rect = I,
// Tr_velo_to_cam = KITTI's axis permutation (cam x = -y, y = -z, z = x) plus translation `t`,
// Tr_imu_to_velo = [I | 0].
KittiCalib synthetic_kitti_calib(double fx, double fy, double cx, double cy,
                                 const Eigen::Vector3d& t);

}  // namespace lidardet
