#include "io/waymo/processed.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/waymo/npy.hpp"
#include "io/waymo/range_image.hpp"
#include "io/waymo/segment_reader.hpp"

namespace lidardet::waymo {
namespace fs = std::filesystem;

std::string sequence_name(const std::string& context_name) {
  return "segment-" + context_name + "_with_camera_labels";
}

std::string openpcdet_frame_path(const std::string& root, const std::string& context_name,
                                 std::size_t frame_index) {
  char name[32];
  std::snprintf(name, sizeof name, "%04zu.npy", frame_index);
  return (fs::path(root) / kOpenPCDetProcessedDir / sequence_name(context_name) / name).string();
}

void write_openpcdet_frame(const std::string& path, const PointCloud& points) {
  if (points.num_channels() != 6)
    throw Error(path + ": OpenPCDet frames need 6 channels, the cloud has " +
                std::to_string(points.num_channels()));
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  write_npy(path, points.data(), points.size(), 6);
}

PointCloud read_openpcdet_frame(const std::string& path) {
  const NpyArray a = read_npy(path);
  if (a.shape.size() != 2 || a.shape[1] != 6) {
    std::string s;
    for (std::size_t d : a.shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
    throw Error(path + ": field 'shape': (" + s + "), expected (N, 6)");
  }
  PointCloud pc(waymo_point_channels(), a.shape[0]);
  std::copy(a.data.begin(), a.data.end(), pc.data());
  return pc;
}

PointCloud mmdet3d_points(const PointCloud& in, std::int64_t timestamp_micros) {
  const std::size_t nlz = in.require_channel("nlz");
  PointCloud out({"x", "y", "z", "intensity", "elongation", "timestamp"});
  out.reserve(in.size());
  const float ts = static_cast<float>(timestamp_micros);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const float* p = in.row(i);
    if (p[nlz] == 1.0f) continue;
    const float row[6] = {p[0], p[1], p[2], p[3], p[4], ts};
    out.push_back(row);
  }
  return out;
}

std::string mmdet3d_bin_name(int prefix, int segment, int frame) {
  char name[32];
  std::snprintf(name, sizeof name, "%d%03d%03d.bin", prefix, segment, frame);
  return name;
}

void write_mmdet3d_bin(const std::string& path, const PointCloud& points) {
  if (points.num_channels() != 6)
    throw Error(path + ": mmdet3d Waymo .bin needs 6 channels, the cloud has " +
                std::to_string(points.num_channels()));
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(points.data()),
                                           points.size() * 6 * sizeof(float)));
}

PointCloud read_mmdet3d_bin(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  if (bytes.size() % 24)
    throw Error(path + ": size " + std::to_string(bytes.size()) +
                " bytes is not a multiple of 24 (6 float32 per point)");
  PointCloud pc({"x", "y", "z", "intensity", "elongation", "timestamp"}, bytes.size() / 24);
  if (!bytes.empty()) std::memcpy(pc.data(), bytes.data(), bytes.size());
  return pc;
}

std::size_t convert_segment_to_openpcdet(const std::string& tfrecord, const std::string& root,
                                         const std::string& split) {
  SegmentReader reader(tfrecord);
  Frame frame;
  std::size_t n = 0;
  std::string context;
  while (reader.next(frame)) {
    if (n == 0) context = frame.context.name;
    const FramePoints fp = frame_points(frame, reader.origin());
    write_openpcdet_frame(openpcdet_frame_path(root, frame.context.name, n), fp.cloud);
    ++n;
  }
  if (!split.empty() && n) {
    const fs::path sets = fs::path(root) / "ImageSets";
    fs::create_directories(sets);
    const std::string list = (sets / (split + ".txt")).string();
    std::string text = fs::exists(list) ? read_file_bytes(list) : std::string();
    const std::string line = sequence_name(context) + ".tfrecord";
    if (text.find(line + "\n") == std::string::npos) {
      if (!text.empty() && text.back() != '\n') text += '\n';
      write_file_atomic(list, text + line + "\n");
    }
  }
  return n;
}

}  // namespace lidardet::waymo
