// `lidardet info FILE [--json]`: what an input file holds. Waymo TFRecords (streamed frame by
// frame): per frame the lasers, points per laser and return, labels per type and difficulty.
// Objects files: objects per type and frame. Point files (KITTI .bin, (N, 6) .bin with --dims 6,
// .npy, .pcd, .ply): point count, channels and per-channel ranges.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "command.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/point_cloud.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/npy.hpp"
#include "io/waymo/objects.hpp"
#include "io/waymo/segment_reader.hpp"
#if __has_include("adapters/point_file.hpp") && defined(LIDARDET_HAVE_ADAPTERS)
#include "adapters/point_file.hpp"
#define LIDARDET_INFO_HAS_ADAPTERS 1
#endif

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace wm = lidardet::waymo;

struct Options {
  std::string path;
  std::string format = "auto";
  bool as_json = false;
  int dims = 0;
  bool no_crc = false;
};

std::string lower_ext(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

// The file's format from --format, else from its extension.
std::string detect_format(const Options& o) {
  if (o.format != "auto") return o.format;
  const std::string e = lower_ext(o.path);
  if (e == ".tfrecord" || o.path.find(".tfrecord") != std::string::npos) return "tfrecord";
  if (e == ".npy") return "npy";
  if (e == ".pcd" || e == ".ply") return e.substr(1);
  if (e == ".bin") return o.dims == 6 ? "bin6" : "kitti";
  throw lidardet::Error(o.path + ": cannot tell the format from the extension '" + e +
                        "' (expected .tfrecord, .bin, .npy, .pcd, .ply, or pass --format)");
}

const char* kDifficulty[] = {"none", "LEVEL_1", "LEVEL_2"};

json info_tfrecord(const Options& o) {
  wm::SegmentReader reader(o.path, !o.no_crc);
  wm::Frame frame;
  json frames = json::array();
  std::size_t total_points = 0, total_labels = 0;
  std::string context;
  while (reader.next(frame)) {
    const wm::FramePoints fp = wm::frame_points(frame, reader.origin());
    json lasers = json::array();
    for (const auto& l : frame.lasers) {
      json j{{"name", wm::laser_name(l.name)}};
      if (l.name > 0 && l.name < wm::kNumLaserNames) {
        j["return1_points"] = fp.counts[l.name][0];
        j["return2_points"] = fp.counts[l.name][1];
      } else {
        j["return1_points"] = 0;
        j["return2_points"] = 0;
      }
      lasers.push_back(j);
    }
    const wm::LabelSummary s = wm::summarize_labels(frame);
    json labels = json::object();
    for (int t = 0; t < 5; ++t) {
      if (!s.by_type[t]) continue;
      json by_diff = json::object();
      for (int d = 0; d < 3; ++d)
        if (s.by_type_difficulty[t][d]) by_diff[kDifficulty[d]] = s.by_type_difficulty[t][d];
      labels[wm::type_name(static_cast<wm::WaymoType>(t))] = {{"count", s.by_type[t]},
                                                              {"difficulty", by_diff}};
    }
    json calibs = json::array();
    for (const auto& c : frame.context.laser_calibrations) calibs.push_back(wm::laser_name(c.name));
    frames.push_back({{"index", reader.index()},
                      {"timestamp_micros", frame.timestamp_micros},
                      {"context", frame.context.name},
                      {"laser_calibrations", calibs},
                      {"lasers", lasers},
                      {"points", fp.cloud.size()},
                      {"labels", labels},
                      {"num_labels", frame.laser_labels.size()},
                      {"points_in_boxes", s.points_in_boxes},
                      {"images", frame.num_images}});
    total_points += fp.cloud.size();
    total_labels += frame.laser_labels.size();
    if (context.empty()) context = frame.context.name;
  }
  return {{"file", o.path},          {"format", "waymo_tfrecord"}, {"context", context},
          {"frames", frames.size()}, {"points", total_points},     {"labels", total_labels},
          {"frame_info", frames}};
}

json info_objects(const Options& o) {
  const auto objs = wm::read_objects_file(o.path);
  std::map<std::string, std::size_t> by_type;
  std::map<std::pair<std::string, std::int64_t>, int> frames;
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  for (const auto& ob : objs) {
    ++by_type[wm::type_name(ob.type)];
    ++frames[{ob.context_name, ob.frame_timestamp_micros}];
    lo = std::min(lo, ob.score), hi = std::max(hi, ob.score);
  }
  json j{{"file", o.path},
         {"format", "waymo_objects"},
         {"objects", objs.size()},
         {"frames", frames.size()},
         {"by_type", by_type}};
  if (!objs.empty()) j["score_range"] = {lo, hi};
  return j;
}

lidardet::PointCloud read_raw_bin(const std::string& path, int dims) {
  const std::string bytes = lidardet::read_file_bytes(path);
  const std::size_t row = static_cast<std::size_t>(dims) * 4;
  if (bytes.size() % row)
    throw lidardet::Error(path + ": size " + std::to_string(bytes.size()) +
                          " bytes is not a multiple of " + std::to_string(row) + " (" +
                          std::to_string(dims) + " float32 per point)");
  std::vector<std::string> names{"x", "y", "z", "intensity"};
  if (dims == 6) names = {"x", "y", "z", "intensity", "elongation", "timestamp"};
  names.resize(dims);
  for (int c = 4; c < dims; ++c)
    if (names[c].empty()) names[c] = "c" + std::to_string(c);
  lidardet::PointCloud pc(names, bytes.size() / row);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(pc.data()));
  return pc;
}

lidardet::PointCloud read_cloud(const Options& o, const std::string& format) {
  if (format == "npy") {
    const wm::NpyArray a = wm::read_npy(o.path);
    if (a.shape.size() != 2)
      throw lidardet::Error(o.path + ": field 'shape': expected a 2-D (N, C) array, got rank " +
                            std::to_string(a.shape.size()));
    std::vector<std::string> names;
    if (a.shape[1] == 6)
      names = {"x", "y", "z", "intensity", "elongation", "nlz"};
    else
      for (std::size_t c = 0; c < a.shape[1]; ++c)
        names.push_back(c < 3 ? std::string(1, "xyz"[c]) : "c" + std::to_string(c));
    lidardet::PointCloud pc(names, a.shape[0]);
    std::copy(a.data.begin(), a.data.end(), pc.data());
    return pc;
  }
  if (format == "kitti") return read_raw_bin(o.path, o.dims ? o.dims : 4);
  if (format == "bin6") return read_raw_bin(o.path, 6);
#ifdef LIDARDET_INFO_HAS_ADAPTERS
  if (format == "pcd" || format == "ply") return lidardet::read_points(o.path);
#else
  if (format == "pcd" || format == "ply")
    throw lidardet::Error(o.path + ": .pcd/.ply support was not built (PCL not found)");
#endif
  throw lidardet::Error("--format: unknown format '" + format + "'");
}

json info_points(const Options& o, const std::string& format) {
  const lidardet::PointCloud pc = read_cloud(o, format);
  json channels = json::array();
  for (std::size_t c = 0; c < pc.num_channels(); ++c) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    std::size_t nonfinite = 0;
    for (std::size_t i = 0; i < pc.size(); ++i) {
      const float v = pc(i, c);
      if (!std::isfinite(v)) {
        ++nonfinite;
        continue;
      }
      lo = std::min(lo, v), hi = std::max(hi, v);
    }
    json ch{{"name", pc.channels()[c]}};
    if (pc.size() > nonfinite) ch["min"] = lo, ch["max"] = hi;
    if (nonfinite) ch["non_finite"] = nonfinite;
    channels.push_back(ch);
  }
  return {{"file", o.path}, {"format", format}, {"points", pc.size()}, {"channels", channels}};
}

void print_text(const json& j) {
  const std::string format = j["format"];
  std::printf("%s: %s\n", j["file"].get<std::string>().c_str(), format.c_str());
  if (format == "waymo_tfrecord") {
    std::printf("context %s, %zu frames, %zu points, %zu labels\n",
                j["context"].get<std::string>().c_str(), j["frames"].get<std::size_t>(),
                j["points"].get<std::size_t>(), j["labels"].get<std::size_t>());
    for (const auto& f : j["frame_info"]) {
      std::printf("frame %ld  t=%lld us  points %zu  labels %zu (points in boxes %lld)\n",
                  f["index"].get<long>(), f["timestamp_micros"].get<long long>(),
                  f["points"].get<std::size_t>(), f["num_labels"].get<std::size_t>(),
                  f["points_in_boxes"].get<long long>());
      for (const auto& l : f["lasers"])
        std::printf("  laser %-10s return1 %8zu  return2 %8zu\n",
                    l["name"].get<std::string>().c_str(), l["return1_points"].get<std::size_t>(),
                    l["return2_points"].get<std::size_t>());
      for (const auto& [type, v] : f["labels"].items()) {
        std::printf("  %-10s %4zu", type.c_str(), v["count"].get<std::size_t>());
        for (const auto& [d, n] : v["difficulty"].items())
          std::printf("  %s %zu", d.c_str(), n.get<std::size_t>());
        std::printf("\n");
      }
    }
  } else if (format == "waymo_objects") {
    std::printf("%zu objects in %zu frames\n", j["objects"].get<std::size_t>(),
                j["frames"].get<std::size_t>());
    for (const auto& [type, n] : j["by_type"].items())
      std::printf("  %-10s %zu\n", type.c_str(), n.get<std::size_t>());
  } else {
    std::printf("%zu points, %zu channels\n", j["points"].get<std::size_t>(), j["channels"].size());
    for (const auto& c : j["channels"]) {
      std::printf("  %-12s", c["name"].get<std::string>().c_str());
      if (c.contains("min"))
        std::printf(" [%g, %g]", c["min"].get<double>(), c["max"].get<double>());
      if (c.contains("non_finite"))
        std::printf("  %zu non-finite", c["non_finite"].get<std::size_t>());
      std::printf("\n");
    }
  }
}

void run(const Options& o) {
  if (!fs::exists(o.path)) throw lidardet::Error(o.path + ": no such file");
  if (o.dims < 0 || o.dims == 1 || o.dims == 2 || o.dims > 64)
    throw lidardet::Error("--dims: expected 3..64 float32 per point, got " +
                          std::to_string(o.dims));
  const std::string format = detect_format(o);
  json j;
  if (format == "tfrecord")
    j = info_tfrecord(o);
  else if (format == "objects")
    j = info_objects(o);
  else
    j = info_points(o, format);
  if (o.as_json)
    std::printf("%s\n", j.dump(2).c_str());
  else
    print_text(j);
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("file", o->path, "Input file")->required();
  sub.add_flag("--json", o->as_json, "Print JSON instead of text");
  sub.add_option("--format", o->format,
                 "auto (from the extension), tfrecord, objects (Waymo Objects .bin), kitti, "
                 "bin6, npy, pcd, ply");
  sub.add_option("--dims", o->dims,
                 "float32 values per point of a .bin (4 KITTI, 6 Waymo mmdet3d)");
  sub.add_flag("--no-crc", o->no_crc, "Do not check TFRecord CRCs");
  sub.callback([o] { run(*o); });
}

}  // namespace

LIDARDET_COMMAND(info,
                 "Describe an input file: Waymo TFRecord or Objects, KITTI .bin, .npy, .pcd, .ply",
                 setup);
