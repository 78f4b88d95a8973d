// Ground truth straight from v1 segments: the laser labels of every frame (type, difficulty,
// points in box, vehicle-frame box) as metrics Objects, keyed by the frame's context and
// timestamp, which is what `lidardet eval waymo --gt SEGMENT.tfrecord` reads.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/waymo/objects.hpp"

namespace lidardet::waymo {

// `path` is a segment .tfrecord or a folder of them (read in name order). Frames are streamed
// one at a time and their range images never decompressed. Labels of type UNKNOWN are kept
// (the evaluator ignores them). Throws lidardet::Error for a corrupt or truncated record.
// `frames`, when given, receives every frame's (context name, timestamp), labelled or not.
using FrameKey = std::pair<std::string, std::int64_t>;
std::vector<WaymoObject> read_segment_labels(const std::string& path, bool check_crc = true,
                                             std::vector<FrameKey>* frames = nullptr);

// True when `path` names a segment (a file with ".tfrecord" in its name) or a folder holding
// at least one.
bool is_segment_path(const std::string& path);

}  // namespace lidardet::waymo
