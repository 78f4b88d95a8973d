#include "io/kitti_dataset.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/kitti_imagesets.hpp"
#include "io/kitti_velodyne.hpp"

namespace lidardet {

namespace fs = std::filesystem;

std::pair<int, int> read_png_size(const std::string& path) {
  // Only the signature and the IHDR chunk are read: 8 + 4 (length) + 4 ("IHDR") + 4 + 4 bytes.
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  unsigned char h[24];
  in.read(reinterpret_cast<char*>(h), sizeof h);
  static constexpr unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (in.gcount() != sizeof h || !std::equal(kSig, kSig + 8, h) ||
      !std::equal(h + 12, h + 16, reinterpret_cast<const unsigned char*>("IHDR")))
    fail(path, 0, "", "not a PNG file (no PNG signature and IHDR chunk)");
  auto be32 = [&](int o) {
    return (std::uint32_t(h[o]) << 24) | (std::uint32_t(h[o + 1]) << 16) |
           (std::uint32_t(h[o + 2]) << 8) | std::uint32_t(h[o + 3]);
  };
  const std::uint32_t w = be32(16), hh = be32(20);
  if (w == 0 || hh == 0 || w > (1u << 30) || hh > (1u << 30))
    fail(path, 0, "IHDR", "invalid image size " + std::to_string(w) + "x" + std::to_string(hh));
  return {static_cast<int>(w), static_cast<int>(hh)};
}

KittiObjectRoot::KittiObjectRoot(std::string root, std::string split)
    : root_(std::move(root)), split_(std::move(split)) {
  data_dir_ = (fs::path(root_) / (split_ == "test" ? "testing" : "training")).string();
  // The real sample ships FOV-cropped points as velodyne_reduced/ (OpenPCDet's name for them).
  const fs::path full = fs::path(data_dir_) / "velodyne";
  const fs::path reduced = fs::path(data_dir_) / "velodyne_reduced";
  velodyne_dir_ =
      (!fs::is_directory(full) && fs::is_directory(reduced)) ? reduced.string() : full.string();
  const fs::path set = fs::path(root_) / "ImageSets" / (split_ + ".txt");
  if (fs::is_regular_file(set)) {
    ids_ = read_kitti_imageset(set.string());
  } else if (fs::is_directory(velodyne_dir_)) {
    for (const auto& e : fs::directory_iterator(velodyne_dir_))
      if (e.is_regular_file() && e.path().extension() == ".bin")
        ids_.push_back(e.path().stem().string());
    std::sort(ids_.begin(), ids_.end());
  } else {
    throw Error(root_ + ": not a KITTI object root (neither " + set.string() + " nor " +
                velodyne_dir_ + " exists)");
  }
}

std::string KittiObjectRoot::velodyne_path(const std::string& id) const {
  return (fs::path(velodyne_dir_) / (id + ".bin")).string();
}
std::string KittiObjectRoot::label_path(const std::string& id) const {
  return (fs::path(data_dir_) / "label_2" / (id + ".txt")).string();
}
std::string KittiObjectRoot::calib_path(const std::string& id) const {
  return (fs::path(data_dir_) / "calib" / (id + ".txt")).string();
}
std::string KittiObjectRoot::image_path(const std::string& id) const {
  return (fs::path(data_dir_) / "image_2" / (id + ".png")).string();
}

KittiFrame KittiObjectRoot::load(const std::string& id) const {
  KittiFrame f;
  f.id = id;
  f.points = read_velodyne_bin(velodyne_path(id));
  if (fs::exists(label_path(id))) f.labels = read_kitti_labels(label_path(id));
  if (fs::exists(calib_path(id))) f.calib = read_kitti_calib(calib_path(id));
  if (fs::exists(image_path(id))) {
    const auto [w, h] = read_png_size(image_path(id));
    f.image_width = w;
    f.image_height = h;
  }
  return f;
}

}  // namespace lidardet
