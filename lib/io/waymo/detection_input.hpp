// Waymo inputs as a detector consumes them (what `lidardet detect` calls): frames streamed one
// at a time from a v1 segment TFRecord, an OpenPCDet processed sequence or mmdet3d's Waymo
// .bin files; the mapping of their raw point channels onto a model's feature list; and the
// detector's boxes as metrics `Objects` (class names to Waymo types).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/box3d.hpp"
#include "core/point_cloud.hpp"
#include "io/waymo/objects.hpp"

namespace lidardet::waymo {

enum class InputKind {
  kTfrecord,   // a v1 segment .tfrecord
  kOpenPCDet,  // <seq>/%04d.npy (N, 6); or waymo_processed_data_v0_5_0/ or its parent
  kMmdet3d,    // velodyne/<prefix><seg:03d><frame:03d>.bin (N, 6), or a folder of them
};

// The kind of `path` from its name and layout: *.tfrecord files; folders holding %04d.npy
// files, sequence folders or waymo_processed_data_v0_5_0/; nullopt for anything else (mmdet3d
// .bin files look like KITTI ones, so they are only taken when asked for by name).
std::optional<InputKind> detect_input_kind(const std::string& path);

struct InputFrame {
  std::string id;  // output file stem: "<context>_<frame %04d>" (mmdet3d: the .bin stem)
  std::string context_name;
  std::int64_t timestamp_micros = 0;
  // False when the input does not carry the frame's timestamp: it is then the frame index
  // (mmdet3d .bin files; OpenPCDet sequences without their raw TFRecord beside them).
  bool timestamp_known = true;
  std::size_t index = 0;  // frame index within its segment or sequence
};

// Streams the frames of one input; memory holds one frame at a time.
class InputSource {
 public:
  // Opens and checks the input before anything is read: a TFRecord's framing and CRCs are
  // scanned once in full (a truncated or corrupt segment fails here, before any output);
  // folders are listed. Throws lidardet::Error naming the path.
  InputSource(const std::string& path, InputKind kind, bool check_crc = true);
  ~InputSource();
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;

  InputKind kind() const { return kind_; }
  std::size_t size() const { return size_; }
  // A note for the user when timestamps are stand-ins (empty otherwise).
  const std::string& timestamp_note() const { return timestamp_note_; }

  // Advances to the next frame and fills its identity; false after the last. Cheap next to
  // points(): a resumed run skips frames done earlier without decoding their points.
  bool next(InputFrame& frame);
  // The current frame's raw points: x y z intensity elongation, then nlz (TFRecord,
  // OpenPCDet) or timestamp (mmdet3d); vehicle frame.
  PointCloud points();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  InputKind kind_;
  std::size_t size_ = 0;
  std::string timestamp_note_;
};

// Builds the cloud a model takes from raw Waymo points: one channel per `used_features` name
// (x, y, z, intensity, elongation, ...), taken from `raw` by name. Raw Waymo intensity is
// unbounded (up to tens of thousands on retroreflectors), so it always goes in as
// tanh(intensity): what the Waymo models see through TANH_ON_FEATURES, and a [0, 1) stand-in
// for KITTI reflectance for KITTI-style models. Other channels are tanh'd when listed in
// `tanh_features` (DATA_CONFIG.TANH_ON_FEATURES). With `drop_nlz` and an nlz channel, only
// points whose flag is -1 (outside every no-label zone) are kept, OpenPCDet's rule unless
// DISABLE_NLZ_FLAG_ON_POINTS is true. Throws lidardet::Error naming the missing channel.
PointCloud model_input_cloud(const PointCloud& raw, const std::vector<std::string>& used_features,
                             const std::vector<std::string>& tanh_features, bool drop_nlz,
                             const std::string& origin);

// A detector class name as a Waymo type: Car and Vehicle are TYPE_VEHICLE; Pedestrian,
// Cyclist and Sign themselves (case-insensitive). nullopt for anything else (Van, Truck...).
std::optional<WaymoType> waymo_type_for_class(const std::string& class_name);

// One detected box as a metrics Object of the frame (box, type, score; vehicle frame).
// Throws lidardet::Error when the box's label has no Waymo type.
WaymoObject object_from_detection(const Box3D& box, const std::string& context_name,
                                  std::int64_t timestamp_micros);

}  // namespace lidardet::waymo
