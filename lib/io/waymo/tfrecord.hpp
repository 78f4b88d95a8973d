// TFRecord files: concatenated records of
//   uint64 length | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)
// (all little-endian). The reader streams one record at a time, so a 200-frame segment is never
// held whole in memory.
#pragma once
#include <cstdint>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace lidardet::waymo {

class TFRecordReader {
 public:
  // Opens `path`; throws lidardet::Error when it cannot be read.
  explicit TFRecordReader(const std::string& path, bool check_crc = true);

  // Reads the next record into `data` (reusing its capacity). Returns false at a clean end of
  // file; throws lidardet::Error naming the file, record index and byte offset for a truncated
  // record, a corrupt length or a CRC mismatch.
  bool next(std::string& data);

  // Index of the record last returned by next() (0-based), and its byte offset in the file.
  long index() const { return index_; }
  std::uint64_t offset() const { return record_offset_; }
  const std::string& path() const { return path_; }
  // "FILE: record N", the origin given to decoders for their error messages.
  std::string origin() const;

 private:
  std::string path_;
  std::ifstream in_;
  bool check_crc_;
  long index_ = -1;
  std::uint64_t offset_ = 0;
  std::uint64_t record_offset_ = 0;
  std::uint64_t file_size_ = 0;
};

// Appends one framed record to `out`.
void write_tfrecord(std::ostream& out, std::string_view data);

// Writes all records to `path` atomically (nothing partial is left on failure).
void write_tfrecord_file(const std::string& path, const std::vector<std::string>& records);

// Number of records, checking framing (and CRCs when asked) without decoding them.
std::size_t count_tfrecords(const std::string& path, bool check_crc = true);

}  // namespace lidardet::waymo
