// Streams the Frames of a v1 segment TFRecord one at a time: memory stays at one frame however
// long the segment is.
#pragma once
#include <string>

#include "io/waymo/frame.hpp"
#include "io/waymo/tfrecord.hpp"

namespace lidardet::waymo {

class SegmentReader {
 public:
  explicit SegmentReader(const std::string& path, bool check_crc = true)
      : records_(path, check_crc) {}

  // Decodes the next frame into `frame`; false at the end of the file.
  bool next(Frame& frame) {
    if (!records_.next(buffer_)) return false;
    frame = decode_frame(buffer_, records_.origin());
    return true;
  }
  // Index of the last frame returned and "FILE: record N" for error messages.
  long index() const { return records_.index(); }
  std::string origin() const { return records_.origin(); }

 private:
  TFRecordReader records_;
  std::string buffer_;
};

}  // namespace lidardet::waymo
