#include "sim/kitti_writer.hpp"

#include <cstdio>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/kitti_imagesets.hpp"
#include "io/kitti_velodyne.hpp"
#include "sim/kitti_labels.hpp"
#include "sim/png_writer.hpp"
#include "sim/rng.hpp"

namespace lidardet::sim {

namespace fs = std::filesystem;

KittiDatasetWriter::KittiDatasetWriter(std::string root, const SensorSpec& sensor)
    : root_(std::move(root)), calib_(make_kitti_calib(sensor.camera)) {
  for (const char* sub : {"ImageSets", "training/velodyne", "training/label_2", "training/calib",
                          "training/image_2", "training/planes"}) {
    std::error_code ec;
    fs::create_directories(fs::path(root_) / sub, ec);
    if (ec) fail((fs::path(root_) / sub).string(), 0, "", "cannot create folder: " + ec.message());
  }
  const int w = sensor.camera.width, h = sensor.camera.height;
  blank_png_ =
      encode_png_rgb(w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3, 0));
}

std::array<double, 4> plane_to_rect(const std::array<double, 4>& p, const KittiCalib& calib) {
  // Transform the normal by the rotation and the offset through a point on the plane.
  const Eigen::Vector3d n(p[0], p[1], p[2]);
  const Eigen::Vector3d on_plane = -p[3] * n / n.squaredNorm();
  const Eigen::Vector3d origin = calib.lidar_to_rect(Eigen::Vector3d::Zero());
  Eigen::Vector3d nr = calib.lidar_to_rect(n) - origin;
  nr.normalize();
  const Eigen::Vector3d q = calib.lidar_to_rect(on_plane);
  double d = -nr.dot(q);
  if (nr.y() > 0) {
    nr = -nr;
    d = -d;
  }
  return {nr.x(), nr.y(), nr.z(), d};
}

void KittiDatasetWriter::write_frame(std::size_t index, const SimFrame& frame) const {
  const std::string id = kitti_frame_id(static_cast<long>(index));
  const fs::path dir = fs::path(root_) / "training";
  write_velodyne_bin((dir / "velodyne" / (id + ".bin")).string(), frame.points);
  write_kitti_labels((dir / "label_2" / (id + ".txt")).string(), kitti_labels(frame, calib_));
  write_kitti_calib((dir / "calib" / (id + ".txt")).string(), calib_);
  write_file_atomic((dir / "image_2" / (id + ".png")).string(), blank_png_);
  const auto plane = plane_to_rect(frame.ground_plane, calib_);
  char line[160];
  std::snprintf(line, sizeof line, "%.6e %.6e %.6e %.6e\n", plane[0], plane[1], plane[2], plane[3]);
  write_file_atomic((dir / "planes" / (id + ".txt")).string(),
                    std::string("# Matrix\nWIDTH 4\nHEIGHT 1\n") + line);
}

void KittiDatasetWriter::write_splits(std::size_t n, double val_fraction,
                                      std::uint64_t seed) const {
  if (!(val_fraction >= 0 && val_fraction <= 1))
    throw Error("--val-fraction: expected a value in [0, 1], got " + std::to_string(val_fraction));
  Rng rng(mix_seed(seed, 0x5b117ULL));
  std::vector<bool> val(n);
  for (std::size_t i = 0; i < n; ++i) val[i] = rng.uniform() < val_fraction;
  if (n >= 2 && val_fraction > 0 && val_fraction < 1) {
    std::size_t nv = 0;
    for (bool v : val) nv += v;
    if (nv == 0) val[n - 1] = true;
    if (nv == n) val[0] = false;
  }
  std::vector<std::string> train, valid;
  for (std::size_t i = 0; i < n; ++i)
    (val[i] ? valid : train).push_back(kitti_frame_id(static_cast<long>(i)));
  write_kitti_imageset((fs::path(root_) / "ImageSets" / "train.txt").string(), train);
  write_kitti_imageset((fs::path(root_) / "ImageSets" / "val.txt").string(), valid);
}

}  // namespace lidardet::sim
