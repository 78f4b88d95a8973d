#include "io/waymo/tfrecord.hpp"

#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/waymo/crc32c.hpp"

namespace lidardet::waymo {
namespace {

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

template <class T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // the codec asserts a little-endian host (proto_wire.cpp)
  return v;
}

}  // namespace

TFRecordReader::TFRecordReader(const std::string& path, bool check_crc)
    : path_(path), in_(path, std::ios::binary), check_crc_(check_crc) {
  if (!in_) throw Error(path + ": cannot open TFRecord file");
  std::error_code ec;
  file_size_ = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path + ": cannot read the file size: " + ec.message());
}

std::string TFRecordReader::origin() const { return path_ + ": record " + std::to_string(index_); }

bool TFRecordReader::next(std::string& data) {
  if (offset_ == file_size_) return false;
  ++index_;
  record_offset_ = offset_;
  const std::string at = origin() + " (byte offset " + std::to_string(offset_) + ")";
  char header[12];
  if (file_size_ - offset_ < sizeof header)
    throw Error(at + ": truncated record header: " + std::to_string(file_size_ - offset_) +
                " bytes left, expected 12 (uint64 length + uint32 masked CRC)");
  if (!in_.read(header, sizeof header)) throw Error(at + ": read error in the record header");
  const auto length = load_le<std::uint64_t>(header);
  const auto length_crc = load_le<std::uint32_t>(header + 8);
  if (check_crc_ && unmask_crc(length_crc) != crc32c({header, 8}))
    throw Error(at + ": field 'length crc': CRC32C mismatch (stored " +
                hex(unmask_crc(length_crc)) + ", computed " + hex(crc32c({header, 8})) +
                "): the file is corrupt or not a TFRecord");
  const std::uint64_t left = file_size_ - offset_ - sizeof header;
  if (length > left || left - length < 4)
    throw Error(at + ": truncated record: length field says " + std::to_string(length) +
                " data bytes + 4 CRC bytes, the file has " + std::to_string(left) + " left");
  data.resize(static_cast<std::size_t>(length));
  char crc_bytes[4];
  if (!in_.read(data.data(), static_cast<std::streamsize>(length)) || !in_.read(crc_bytes, 4))
    throw Error(at + ": read error in the record data");
  if (check_crc_) {
    const std::uint32_t stored = unmask_crc(load_le<std::uint32_t>(crc_bytes));
    const std::uint32_t computed = crc32c(data);
    if (stored != computed)
      throw Error(at + ": field 'data crc': CRC32C mismatch (stored " + hex(stored) +
                  ", computed " + hex(computed) + "): the record data is corrupt");
  }
  offset_ += sizeof header + length + 4;
  return true;
}

void write_tfrecord(std::ostream& out, std::string_view data) {
  char header[12];
  const std::uint64_t length = data.size();
  std::memcpy(header, &length, 8);
  const std::uint32_t length_crc = mask_crc(crc32c({header, 8}));
  std::memcpy(header + 8, &length_crc, 4);
  const std::uint32_t data_crc = mask_crc(crc32c(data));
  out.write(header, sizeof header);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.write(reinterpret_cast<const char*>(&data_crc), 4);
}

void write_tfrecord_file(const std::string& path, const std::vector<std::string>& records) {
  write_file_atomic(
      path,
      [&](std::ostream& out) {
        for (const auto& r : records) write_tfrecord(out, r);
      },
      true);
}

std::size_t count_tfrecords(const std::string& path, bool check_crc) {
  TFRecordReader reader(path, check_crc);
  std::string data;
  std::size_t n = 0;
  while (reader.next(data)) ++n;
  return n;
}

}  // namespace lidardet::waymo
