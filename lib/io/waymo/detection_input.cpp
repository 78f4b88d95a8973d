#include "io/waymo/detection_input.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "io/waymo/frame_points.hpp"
#include "io/waymo/processed.hpp"
#include "io/waymo/segment_reader.hpp"
#include "io/waymo/tfrecord.hpp"

namespace lidardet::waymo {
namespace fs = std::filesystem;

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A processed frame file: %04d.npy (OpenPCDet writes the frame index with at least 4 digits).
bool frame_npy(const fs::path& p) {
  return p.extension() == ".npy" && p.stem().string().size() >= 4 && all_digits(p.stem().string());
}

bool has_frame_npys(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && frame_npy(e.path())) return true;
  return false;
}

std::vector<fs::path> sorted_files(const fs::path& dir, bool (*keep)(const fs::path&)) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && keep(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The context of "segment-<context>_with_camera_labels" (OpenPCDet may prefix training_ or
// validation_); other folder names are taken as they are.
std::string context_of_sequence(const std::string& seq) {
  std::string s = seq;
  for (const char* p : {"training_", "validation_", "testing_"})
    if (s.rfind(p, 0) == 0) s = s.substr(std::string(p).size());
  const std::string head = "segment-", tail = "_with_camera_labels";
  if (s.size() > head.size() + tail.size() && s.rfind(head, 0) == 0 &&
      s.compare(s.size() - tail.size(), tail.size(), tail) == 0)
    return s.substr(head.size(), s.size() - head.size() - tail.size());
  return s;
}

std::string frame_id(const std::string& context, std::size_t index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "_%04zu", index);
  return context + buf;
}

// "dir/" names the same folder as "dir"; filename() must see "dir".
fs::path clean(const std::string& path) {
  fs::path p(path);
  return p.has_filename() ? p : p.parent_path();
}

struct Sequence {
  fs::path dir;
  std::string context;
  std::vector<fs::path> frames;
  fs::path raw_tfrecord;  // empty when the segment is not beside the processed data
};

}  // namespace

std::optional<InputKind> detect_input_kind(const std::string& path) {
  const fs::path p = clean(path);
  if (fs::is_regular_file(p))
    return p.filename().string().find(".tfrecord") != std::string::npos
               ? std::optional(InputKind::kTfrecord)
               : std::nullopt;
  if (!fs::is_directory(p)) return std::nullopt;
  if (p.filename() == kOpenPCDetProcessedDir || fs::is_directory(p / kOpenPCDetProcessedDir))
    return InputKind::kOpenPCDet;
  if (has_frame_npys(p)) {
    // A sequence folder: its frames are (N, 6). Loose (N, 4/5) .npy frames are not Waymo's.
    if (p.filename().string().find("segment-") != std::string::npos) return InputKind::kOpenPCDet;
  }
  return std::nullopt;
}

struct InputSource::Impl {
  // kTfrecord
  std::unique_ptr<SegmentReader> reader;
  Frame frame;
  // kOpenPCDet
  std::vector<Sequence> sequences;
  std::size_t seq = 0, in_seq = 0;
  std::vector<std::int64_t> timestamps;  // of sequences[seq] when its raw TFRecord exists
  bool check_crc = true;
  // kMmdet3d
  std::vector<fs::path> bins;
  std::size_t next_index = 0;
  fs::path current;  // the file of the current frame (npy or bin)
  bool have_frame = false;
};

InputSource::InputSource(const std::string& path, InputKind kind, bool check_crc)
    : impl_(std::make_unique<Impl>()), kind_(kind) {
  impl_->check_crc = check_crc;
  const fs::path p = clean(path);
  if (!fs::exists(p)) throw Error(path + ": no such file or folder");
  if (kind == InputKind::kTfrecord) {
    if (!fs::is_regular_file(p)) throw Error(path + ": expected a .tfrecord file");
    // The whole framing first: a truncated segment fails before any frame is detected.
    size_ = count_tfrecords(path, check_crc);
    impl_->reader = std::make_unique<SegmentReader>(path, check_crc);
    return;
  }
  if (kind == InputKind::kMmdet3d) {
    if (fs::is_directory(p))
      impl_->bins = sorted_files(p, [](const fs::path& f) { return f.extension() == ".bin"; });
    else
      impl_->bins.push_back(p);
    if (impl_->bins.empty()) throw Error(path + ": no .bin files in this folder");
    size_ = impl_->bins.size();
    timestamp_note_ =
        "mmdet3d .bin frames carry no usable timestamp (float32): Objects use the context "
        "<prefix><segment> and the frame number as timestamp";
    return;
  }
  // OpenPCDet: a sequence folder, the processed folder, or the data root above it.
  if (!fs::is_directory(p)) throw Error(path + ": expected an OpenPCDet processed folder");
  std::vector<fs::path> seq_dirs;
  fs::path processed;
  if (has_frame_npys(p)) {
    seq_dirs.push_back(p);
    processed = p.parent_path();
  } else {
    processed = p.filename() == kOpenPCDetProcessedDir ? p : p / kOpenPCDetProcessedDir;
    if (!fs::is_directory(processed))
      throw Error(path + ": neither a sequence folder of %04d.npy frames nor an OpenPCDet root (" +
                  kOpenPCDetProcessedDir + "/)");
    for (const auto& e : fs::directory_iterator(processed))
      if (e.is_directory() && has_frame_npys(e.path())) seq_dirs.push_back(e.path());
    std::sort(seq_dirs.begin(), seq_dirs.end());
  }
  if (seq_dirs.empty()) throw Error(path + ": no sequence folder holds %04d.npy frames");
  std::size_t without_raw = 0;
  for (const fs::path& d : seq_dirs) {
    Sequence s;
    s.dir = d;
    s.context = context_of_sequence(d.filename().string());
    s.frames = sorted_files(d, frame_npy);
    // OpenPCDet's layout keeps the segments in raw_data/ beside the processed folder.
    const fs::path raw =
        processed.parent_path() / "raw_data" / (d.filename().string() + ".tfrecord");
    if (fs::is_regular_file(raw))
      s.raw_tfrecord = raw;
    else
      ++without_raw;
    size_ += s.frames.size();
    impl_->sequences.push_back(std::move(s));
  }
  if (without_raw)
    timestamp_note_ = std::to_string(without_raw) +
                      " sequence(s) have no raw_data/<sequence>.tfrecord beside the processed "
                      "folder: their Objects use the frame index as timestamp";
}

InputSource::~InputSource() = default;

bool InputSource::next(InputFrame& out) {
  Impl& m = *impl_;
  m.have_frame = false;
  if (kind_ == InputKind::kTfrecord) {
    if (!m.reader->next(m.frame)) return false;
    m.have_frame = true;
    out.index = static_cast<std::size_t>(m.reader->index());
    out.context_name = m.frame.context.name;
    out.timestamp_micros = m.frame.timestamp_micros;
    out.timestamp_known = true;
    out.id = frame_id(out.context_name, out.index);
    return true;
  }
  if (kind_ == InputKind::kMmdet3d) {
    if (m.next_index >= m.bins.size()) return false;
    const fs::path& f = m.bins[m.next_index];
    m.current = f;
    m.have_frame = true;
    out.index = m.next_index++;
    out.id = f.stem().string();
    const std::string stem = out.id;
    // <prefix><segment:03d><frame:03d>
    if (stem.size() == 7 && all_digits(stem)) {
      out.context_name = stem.substr(0, 4);
      out.timestamp_micros = std::stoll(stem.substr(4));
    } else {
      out.context_name = stem;
      out.timestamp_micros = static_cast<std::int64_t>(out.index);
    }
    out.timestamp_known = false;
    return true;
  }
  while (m.seq < m.sequences.size() && m.in_seq >= m.sequences[m.seq].frames.size()) {
    ++m.seq, m.in_seq = 0;
    m.timestamps.clear();
  }
  if (m.seq >= m.sequences.size()) return false;
  const Sequence& s = m.sequences[m.seq];
  if (m.in_seq == 0 && !s.raw_tfrecord.empty()) {
    // Timestamps of the segment's frames, streamed (the range images are never decoded).
    SegmentReader reader(s.raw_tfrecord.string(), m.check_crc);
    Frame f;
    while (reader.next(f)) m.timestamps.push_back(f.timestamp_micros);
  }
  const fs::path& f = s.frames[m.in_seq++];
  m.current = f;
  m.have_frame = true;
  const std::size_t frame_index = std::stoul(f.stem().string());
  out.index = frame_index;
  out.context_name = s.context;
  out.id = frame_id(s.context, frame_index);
  if (!s.raw_tfrecord.empty()) {
    if (frame_index >= m.timestamps.size())
      throw Error(f.string() + ": frame " + std::to_string(frame_index) + " but " +
                  s.raw_tfrecord.string() + " holds " + std::to_string(m.timestamps.size()) +
                  " frames");
    out.timestamp_micros = m.timestamps[frame_index];
    out.timestamp_known = true;
  } else {
    out.timestamp_micros = static_cast<std::int64_t>(frame_index);
    out.timestamp_known = false;
  }
  return true;
}

PointCloud InputSource::points() {
  Impl& m = *impl_;
  if (!m.have_frame) throw Error("InputSource::points(): no current frame (call next() first)");
  if (kind_ == InputKind::kTfrecord) return frame_points(m.frame, m.reader->origin()).cloud;
  if (kind_ == InputKind::kMmdet3d) return read_mmdet3d_bin(m.current.string());
  return read_openpcdet_frame(m.current.string());
}

PointCloud model_input_cloud(const PointCloud& raw, const std::vector<std::string>& used_features,
                             const std::vector<std::string>& tanh_features, bool drop_nlz,
                             const std::string& origin) {
  const std::size_t nc = used_features.size();
  std::vector<std::size_t> src(nc);
  std::vector<bool> squash(nc);
  for (std::size_t c = 0; c < nc; ++c) {
    const std::string& name = used_features[c];
    const int i = raw.channel_index(name);
    if (i < 0) {
      std::string have;
      for (const auto& h : raw.channels()) have += (have.empty() ? "" : ", ") + h;
      throw Error(origin + ": the model's used_feature_list needs channel '" + name +
                  "'; Waymo points have " + have);
    }
    src[c] = static_cast<std::size_t>(i);
    squash[c] = name == "intensity" ||
                std::find(tanh_features.begin(), tanh_features.end(), name) != tanh_features.end();
  }
  const int nlz = drop_nlz ? raw.channel_index("nlz") : -1;
  PointCloud out(used_features);
  out.reserve(raw.size());
  std::vector<float> row(nc);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const float* p = raw.row(i);
    if (nlz >= 0 && p[nlz] != -1.0f) continue;
    for (std::size_t c = 0; c < nc; ++c) row[c] = squash[c] ? std::tanh(p[src[c]]) : p[src[c]];
    out.push_back(row);
  }
  return out;
}

std::optional<WaymoType> waymo_type_for_class(const std::string& class_name) {
  std::string s = class_name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "car" || s == "vehicle") return WaymoType::kVehicle;
  if (s == "pedestrian") return WaymoType::kPedestrian;
  if (s == "cyclist") return WaymoType::kCyclist;
  if (s == "sign") return WaymoType::kSign;
  return std::nullopt;
}

WaymoObject object_from_detection(const Box3D& box, const std::string& context_name,
                                  std::int64_t timestamp_micros) {
  const auto type = waymo_type_for_class(box.label);
  if (!type)
    throw Error("class '" + box.label +
                "' has no Waymo type (expected Car/Vehicle, Pedestrian, Cyclist or Sign)");
  WaymoObject o;
  o.context_name = context_name;
  o.frame_timestamp_micros = timestamp_micros;
  o.box = box;
  o.box.yaw = wrap_angle(box.yaw);
  o.box.label = type_name(*type);
  o.type = *type;
  o.score = box.score;
  return o;
}

}  // namespace lidardet::waymo
