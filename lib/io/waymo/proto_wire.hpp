// A minimal protobuf (proto2) wire-format codec: just what the Waymo Frame and metrics Objects
// messages need. Every read is bounds-checked; errors name the message path (e.g.
// "FILE: record 0: Frame.laser_labels[3].box"), the field number and what was expected.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lidardet::waymo {

enum class WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

// Reads the fields of one serialized message in order. Typical use:
//   WireReader r(bytes, "file.tfrecord: record 0", "Frame");
//   while (r.next()) switch (r.field()) { case 2: ts = r.int64(); break; default: r.skip(); }
class WireReader {
 public:
  // `origin` names the file and record; `name` the message type, for error messages.
  WireReader(std::string_view data, std::string origin, const char* name);

  // Advances to the next field; false at the end of the message.
  bool next();
  std::uint32_t field() const { return field_; }
  WireType type() const { return type_; }

  // Scalar readers check the wire type of the current field.
  std::uint64_t varint();
  std::int64_t int64() { return static_cast<std::int64_t>(varint()); }
  // int32/enum: proto encodes negatives as 10-byte varints; the low 32 bits carry the value.
  std::int32_t int32() { return static_cast<std::int32_t>(varint()); }
  bool boolean() { return varint() != 0; }
  std::int64_t sint64();  // zigzag
  std::uint64_t fixed64();
  std::uint32_t fixed32();
  double f64();
  float f32();
  std::string_view bytes();

  // A reader over the current length-delimited field as a sub-message. `index` >= 0 names the
  // element of a repeated field in errors. The child refers to this reader: keep it alive.
  WireReader message(const char* name, long index = -1);

  // Repeated scalars, accepting both the packed (one length-delimited run) and the unpacked
  // (one tag per value) encodings.
  void append(std::vector<double>& out);
  void append(std::vector<float>& out);
  void append(std::vector<std::int32_t>& out);

  void skip();

  // Throws lidardet::Error: "<origin>: <path> field <n>: <message>".
  [[noreturn]] void error(const std::string& message) const;
  std::string path() const;

 private:
  WireReader(std::string_view data, const WireReader* parent, const char* name, long index);
  void expect(WireType t) const;
  std::uint64_t raw_varint();
  const char* take(std::size_t n);

  std::string_view data_;
  std::size_t pos_ = 0;
  std::uint32_t field_ = 0;
  WireType type_ = WireType::kVarint;
  std::string origin_;  // only set on the root reader
  const WireReader* parent_ = nullptr;
  const char* name_ = "";
  long index_ = -1;
};

// Appends fields to a buffer. Nested messages are encoded into their own writer first and then
// added with message(); the caller writes fields in ascending order, as protoc does.
class WireWriter {
 public:
  void varint(std::uint32_t field, std::uint64_t v);
  void int64(std::uint32_t field, std::int64_t v) { varint(field, static_cast<std::uint64_t>(v)); }
  // Sign-extended to 64 bits, as protobuf encodes negative int32 and enum values.
  void int32(std::uint32_t field, std::int32_t v) {
    varint(field, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
  }
  void boolean(std::uint32_t field, bool v) { varint(field, v ? 1 : 0); }
  void sint64(std::uint32_t field, std::int64_t v);
  void fixed64(std::uint32_t field, std::uint64_t v);
  void fixed32(std::uint32_t field, std::uint32_t v);
  void f64(std::uint32_t field, double v);
  void f32(std::uint32_t field, float v);
  void bytes(std::uint32_t field, std::string_view v);
  void message(std::uint32_t field, const WireWriter& m) { bytes(field, m.data()); }

  void packed(std::uint32_t field, std::span<const float> v);
  void packed(std::uint32_t field, std::span<const double> v);
  void packed(std::uint32_t field, std::span<const std::int32_t> v);  // varints
  // One tag per value: how proto2 writes repeated fields not marked [packed=true].
  void unpacked(std::uint32_t field, std::span<const double> v);
  void unpacked(std::uint32_t field, std::span<const std::int32_t> v);

  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }
  bool empty() const { return buf_.empty(); }

 private:
  void tag(std::uint32_t field, WireType t);
  void raw_varint(std::uint64_t v);
  std::string buf_;
};

// Zigzag mapping of signed to unsigned varints (sint32/sint64).
inline std::uint64_t zigzag_encode(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t zigzag_decode(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

}  // namespace lidardet::waymo
