// A KITTI object-benchmark root (see datasets/README.md): ImageSets/<split>.txt plus
// training/ (or testing/ for split "test") with velodyne/ (or velodyne_reduced/), label_2/,
// calib/, image_2/.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/point_cloud.hpp"
#include "io/kitti_calib.hpp"
#include "io/kitti_label.hpp"

namespace lidardet {

struct KittiFrame {
  std::string id;
  PointCloud points;                               // x, y, z, intensity
  std::optional<std::vector<KittiObject>> labels;  // when label_2/<id>.txt exists
  std::optional<KittiCalib> calib;                 // when calib/<id>.txt exists
  std::optional<int> image_width, image_height;    // from the image_2/<id>.png header
};

class KittiObjectRoot {
 public:
  // Ids come from ImageSets/<split>.txt when it exists, otherwise from the sorted names of
  // velodyne/*.bin. Throws lidardet::Error when neither exists.
  KittiObjectRoot(std::string root, std::string split);

  const std::vector<std::string>& ids() const { return ids_; }
  std::size_t size() const { return ids_.size(); }
  // The folder holding velodyne/ etc. (training/ or testing/).
  const std::string& data_dir() const { return data_dir_; }
  std::string velodyne_path(const std::string& id) const;
  std::string label_path(const std::string& id) const;
  std::string calib_path(const std::string& id) const;
  std::string image_path(const std::string& id) const;

  // Loads one frame from disk (nothing is cached).
  KittiFrame load(const std::string& id) const;
  KittiFrame load(std::size_t index) const { return load(ids_.at(index)); }

 private:
  std::string root_, split_, data_dir_, velodyne_dir_;
  std::vector<std::string> ids_;
};

// (width, height) from a PNG's IHDR chunk; throws lidardet::Error when it is not a PNG.
std::pair<int, int> read_png_size(const std::string& path);

}  // namespace lidardet
