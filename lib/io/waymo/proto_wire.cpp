#include "io/waymo/proto_wire.hpp"

#include <bit>
#include <cstring>

#include "core/error.hpp"

static_assert(std::endian::native == std::endian::little,
              "the protobuf codec copies little-endian fixed-width values directly");

namespace lidardet::waymo {
namespace {

const char* wire_name(WireType t) {
  switch (t) {
    case WireType::kVarint:
      return "varint (0)";
    case WireType::kFixed64:
      return "fixed64 (1)";
    case WireType::kBytes:
      return "length-delimited (2)";
    case WireType::kFixed32:
      return "fixed32 (5)";
  }
  return "?";
}

}  // namespace

WireReader::WireReader(std::string_view data, std::string origin, const char* name)
    : data_(data), origin_(std::move(origin)), name_(name) {}

WireReader::WireReader(std::string_view data, const WireReader* parent, const char* name,
                       long index)
    : data_(data), parent_(parent), name_(name), index_(index) {}

std::string WireReader::path() const {
  std::string p;
  if (parent_) {
    p = parent_->path() + "." + name_;
  } else {
    p = name_;
  }
  if (index_ >= 0) p += "[" + std::to_string(index_) + "]";
  return p;
}

void WireReader::error(const std::string& message) const {
  const WireReader* root = this;
  while (root->parent_) root = root->parent_;
  std::string s = root->origin_ + ": " + path();
  if (field_) s += " field " + std::to_string(field_);
  throw Error(s + ": " + message);
}

const char* WireReader::take(std::size_t n) {
  if (n > data_.size() - pos_)
    error("truncated: needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
          ", the message has " + std::to_string(data_.size() - pos_) + " left");
  const char* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

std::uint64_t WireReader::raw_varint() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) error("truncated varint at offset " + std::to_string(pos_));
    const auto b = static_cast<unsigned char>(data_[pos_++]);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  error("varint longer than 10 bytes at offset " + std::to_string(pos_));
}

bool WireReader::next() {
  if (pos_ >= data_.size()) return false;
  field_ = 0;
  const std::uint64_t key = raw_varint();
  const auto t = static_cast<std::uint32_t>(key & 7);
  const std::uint64_t f = key >> 3;
  if (f == 0 || f > 0x1FFFFFFF) error("invalid field number " + std::to_string(f));
  field_ = static_cast<std::uint32_t>(f);
  if (t != 0 && t != 1 && t != 2 && t != 5)
    error("unsupported wire type " + std::to_string(t) + " (expected 0, 1, 2 or 5)");
  type_ = static_cast<WireType>(t);
  return true;
}

void WireReader::expect(WireType t) const {
  if (type_ != t)
    error(std::string("expected wire type ") + wire_name(t) + ", got " + wire_name(type_));
}

std::uint64_t WireReader::varint() {
  expect(WireType::kVarint);
  return raw_varint();
}

std::int64_t WireReader::sint64() { return zigzag_decode(varint()); }

std::uint64_t WireReader::fixed64() {
  expect(WireType::kFixed64);
  std::uint64_t v;
  std::memcpy(&v, take(8), 8);
  return v;
}

std::uint32_t WireReader::fixed32() {
  expect(WireType::kFixed32);
  std::uint32_t v;
  std::memcpy(&v, take(4), 4);
  return v;
}

double WireReader::f64() { return std::bit_cast<double>(fixed64()); }
float WireReader::f32() { return std::bit_cast<float>(fixed32()); }

std::string_view WireReader::bytes() {
  expect(WireType::kBytes);
  const std::uint64_t n = raw_varint();
  if (n > data_.size() - pos_)
    error("length " + std::to_string(n) + " runs past the end of the message (" +
          std::to_string(data_.size() - pos_) + " bytes left)");
  const char* p = take(static_cast<std::size_t>(n));
  return {p, static_cast<std::size_t>(n)};
}

WireReader WireReader::message(const char* name, long index) {
  const std::string_view b = bytes();
  return WireReader(b, this, name, index);
}

void WireReader::append(std::vector<double>& out) {
  if (type_ == WireType::kFixed64) {
    out.push_back(f64());
    return;
  }
  const std::string_view b = bytes();
  if (b.size() % 8)
    error("packed doubles: length " + std::to_string(b.size()) + " is not a multiple of 8");
  const std::size_t n0 = out.size();
  out.resize(n0 + b.size() / 8);
  if (!b.empty()) std::memcpy(out.data() + n0, b.data(), b.size());
}

void WireReader::append(std::vector<float>& out) {
  if (type_ == WireType::kFixed32) {
    out.push_back(f32());
    return;
  }
  const std::string_view b = bytes();
  if (b.size() % 4)
    error("packed floats: length " + std::to_string(b.size()) + " is not a multiple of 4");
  const std::size_t n0 = out.size();
  out.resize(n0 + b.size() / 4);
  if (!b.empty()) std::memcpy(out.data() + n0, b.data(), b.size());
}

void WireReader::append(std::vector<std::int32_t>& out) {
  if (type_ == WireType::kVarint) {
    out.push_back(int32());
    return;
  }
  WireReader packed = message("packed");
  packed.field_ = field_;
  while (packed.pos_ < packed.data_.size())
    out.push_back(static_cast<std::int32_t>(packed.raw_varint()));
}

void WireReader::skip() {
  switch (type_) {
    case WireType::kVarint:
      raw_varint();
      break;
    case WireType::kFixed64:
      take(8);
      break;
    case WireType::kFixed32:
      take(4);
      break;
    case WireType::kBytes:
      bytes();
      break;
  }
}

void WireWriter::raw_varint(std::uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<char>(v));
}

void WireWriter::tag(std::uint32_t field, WireType t) {
  raw_varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(t));
}

void WireWriter::varint(std::uint32_t field, std::uint64_t v) {
  tag(field, WireType::kVarint);
  raw_varint(v);
}

void WireWriter::sint64(std::uint32_t field, std::int64_t v) { varint(field, zigzag_encode(v)); }

void WireWriter::fixed64(std::uint32_t field, std::uint64_t v) {
  tag(field, WireType::kFixed64);
  buf_.append(reinterpret_cast<const char*>(&v), 8);
}

void WireWriter::fixed32(std::uint32_t field, std::uint32_t v) {
  tag(field, WireType::kFixed32);
  buf_.append(reinterpret_cast<const char*>(&v), 4);
}

void WireWriter::f64(std::uint32_t field, double v) {
  fixed64(field, std::bit_cast<std::uint64_t>(v));
}
void WireWriter::f32(std::uint32_t field, float v) {
  fixed32(field, std::bit_cast<std::uint32_t>(v));
}

void WireWriter::bytes(std::uint32_t field, std::string_view v) {
  tag(field, WireType::kBytes);
  raw_varint(v.size());
  buf_.append(v);
}

void WireWriter::packed(std::uint32_t field, std::span<const float> v) {
  bytes(field, {reinterpret_cast<const char*>(v.data()), v.size_bytes()});
}

void WireWriter::packed(std::uint32_t field, std::span<const double> v) {
  bytes(field, {reinterpret_cast<const char*>(v.data()), v.size_bytes()});
}

void WireWriter::packed(std::uint32_t field, std::span<const std::int32_t> v) {
  WireWriter body;
  for (std::int32_t x : v)
    body.raw_varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(x)));
  bytes(field, body.data());
}

void WireWriter::unpacked(std::uint32_t field, std::span<const double> v) {
  for (double x : v) f64(field, x);
}

void WireWriter::unpacked(std::uint32_t field, std::span<const std::int32_t> v) {
  for (std::int32_t x : v) int32(field, x);
}

}  // namespace lidardet::waymo
