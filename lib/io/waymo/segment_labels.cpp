#include "io/waymo/segment_labels.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/waymo/segment_reader.hpp"

namespace lidardet::waymo {
namespace fs = std::filesystem;

namespace {

bool segment_file(const fs::path& p) {
  return p.filename().string().find(".tfrecord") != std::string::npos;
}

std::vector<fs::path> segment_files(const std::string& path) {
  std::vector<fs::path> out;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path))
      if (e.is_regular_file() && segment_file(e.path())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
  } else if (fs::is_regular_file(path)) {
    out.push_back(path);
  }
  return out;
}

}  // namespace

bool is_segment_path(const std::string& path) {
  if (fs::is_regular_file(path)) return segment_file(path);
  return fs::is_directory(path) && !segment_files(path).empty();
}

std::vector<WaymoObject> read_segment_labels(const std::string& path, bool check_crc,
                                             std::vector<FrameKey>* frames) {
  if (!fs::exists(path)) throw Error(path + ": no such file or folder");
  const std::vector<fs::path> files = segment_files(path);
  if (files.empty()) throw Error(path + ": no .tfrecord segment in this folder");
  std::vector<WaymoObject> out;
  Frame frame;
  for (const fs::path& f : files) {
    SegmentReader reader(f.string(), check_crc);
    while (reader.next(frame)) {
      if (frames) frames->emplace_back(frame.context.name, frame.timestamp_micros);
      for (auto& l : frame.laser_labels) out.push_back(std::move(l));
    }
  }
  return out;
}

}  // namespace lidardet::waymo
