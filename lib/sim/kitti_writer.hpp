// Writes simulated frames as a KITTI object dataset (data.md 1.1 and 9.2):
//   ImageSets/train.txt val.txt
//   training/velodyne/%06d.bin label_2/ calib/ image_2/ (blank PNG of the camera size)
//            planes/ (road plane in the rectified camera frame, OpenPCDet's 4th-line format)
// Every file goes through write_file_atomic.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/kitti_calib.hpp"
#include "sim/sensor.hpp"
#include "sim/simulator.hpp"

namespace lidardet::sim {

class KittiDatasetWriter {
 public:
  // Creates the folders under `root`.
  KittiDatasetWriter(std::string root, const SensorSpec& sensor);

  // Writes frame `index` (id %06d) in training/.
  void write_frame(std::size_t index, const SimFrame& frame) const;
  // ImageSets: each of frames 0..n-1 goes to val with probability val_fraction, drawn from
  // `seed`; when 0 < val_fraction < 1 and n >= 2 both splits get at least one frame.
  void write_splits(std::size_t n, double val_fraction, std::uint64_t seed) const;

  const KittiCalib& calib() const { return calib_; }

 private:
  std::string root_;
  KittiCalib calib_;
  std::string blank_png_;
};

// The road plane in the rectified camera frame, normal pointing up (-y), from a lidar-frame
// plane; four numbers a b c d with a x + b y + c z + d = 0.
std::array<double, 4> plane_to_rect(const std::array<double, 4>& lidar_plane,
                                    const KittiCalib& calib);

}  // namespace lidardet::sim
