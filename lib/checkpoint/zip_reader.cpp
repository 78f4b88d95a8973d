#include "checkpoint/zip_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <set>

#include "core/error.hpp"

namespace lidardet::checkpoint_detail {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50,
                   kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
// Deflate cannot expand data by more than about 1032:1; a larger claim is a zip bomb or a lie.
constexpr uint64_t kMaxDeflateRatio = 1032;

// Little-endian reads with bounds checks against the whole archive.
class Cursor {
 public:
  Cursor(std::string_view b, const std::string& label) : b_(b), label_(label) {}
  uint64_t get(uint64_t pos, int n, const char* what) const {
    if (pos > b_.size() || b_.size() - pos < uint64_t(n))
      throw Error(label_ + ": zip " + what + " at byte " + std::to_string(pos) +
                  " runs past the end of the file (truncated?)");
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(b_[pos + i]);
    return v;
  }
  std::string_view span(uint64_t pos, uint64_t n, const char* what) const {
    if (pos > b_.size() || b_.size() - pos < n)
      throw Error(label_ + ": zip " + what + " at byte " + std::to_string(pos) + " (" +
                  std::to_string(n) + " bytes) runs past the end of the file (truncated?)");
    return b_.substr(pos, n);
  }

 private:
  std::string_view b_;
  const std::string& label_;
};

}  // namespace

ZipReader::ZipReader(std::string_view bytes, std::string label)
    : bytes_(bytes), label_(std::move(label)) {
  const Cursor c(bytes_, label_);
  if (bytes_.size() < 22) throw Error(label_ + ": too short to be a zip archive (truncated?)");
  // The end record sits in the last 22 + 65535 (comment) bytes; search backwards.
  uint64_t end = 0;
  bool found = false;
  const uint64_t lowest = bytes_.size() > 22 + 65535 ? bytes_.size() - 22 - 65535 : 0;
  for (uint64_t p = bytes_.size() - 22 + 1; p-- > lowest;) {
    if (c.get(p, 4, "end record") == kEndSig &&
        p + 22 + c.get(p + 20, 2, "comment") == bytes_.size()) {
      end = p;
      found = true;
      break;
    }
  }
  if (!found)
    throw Error(label_ +
                ": zip end-of-central-directory record not found (truncated or not a zip)");
  uint64_t count = c.get(end + 10, 2, "entry count");
  uint64_t cd_size = c.get(end + 12, 4, "directory size");
  uint64_t cd_offset = c.get(end + 16, 4, "directory offset");
  if (c.get(end + 4, 2, "disk number") != 0 || c.get(end + 6, 2, "disk number") != 0)
    throw Error(label_ + ": multi-disk zip archives are not supported");
  if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (end < 20 || c.get(end - 20, 4, "zip64 locator") != kLocator64Sig)
      throw Error(label_ + ": zip64 end-of-directory locator missing before the end record");
    const uint64_t e64 = c.get(end - 20 + 8, 8, "zip64 end offset");
    if (c.get(e64, 4, "zip64 end record") != kEnd64Sig)
      throw Error(label_ + ": zip64 end-of-directory record not found at byte " +
                  std::to_string(e64));
    count = c.get(e64 + 32, 8, "zip64 entry count");
    cd_size = c.get(e64 + 40, 8, "zip64 directory size");
    cd_offset = c.get(e64 + 48, 8, "zip64 directory offset");
  }
  c.span(cd_offset, cd_size, "central directory");
  // Every entry needs at least 46 bytes of directory, so the count is bounded by the size.
  if (count > cd_size / 46 + 1)
    throw Error(label_ + ": zip claims " + std::to_string(count) + " entries in a " +
                std::to_string(cd_size) + "-byte directory");

  std::set<std::string, std::less<>> names;
  uint64_t p = cd_offset;
  for (uint64_t i = 0; i < count; ++i) {
    if (c.get(p, 4, "central directory entry") != kCentralSig)
      throw Error(label_ + ": zip central directory entry " + std::to_string(i) +
                  " has a bad signature (corrupt archive)");
    ZipEntry e;
    const uint64_t flags = c.get(p + 8, 2, "flags");
    e.method = uint16_t(c.get(p + 10, 2, "method"));
    e.crc32 = uint32_t(c.get(p + 16, 4, "crc"));
    e.compressed_size = c.get(p + 20, 4, "size");
    e.uncompressed_size = c.get(p + 24, 4, "size");
    const uint64_t name_len = c.get(p + 28, 2, "name length");
    const uint64_t extra_len = c.get(p + 30, 2, "extra length");
    const uint64_t comment_len = c.get(p + 32, 2, "comment length");
    e.local_header_offset = c.get(p + 42, 4, "local header offset");
    e.name = std::string(c.span(p + 46, name_len, "entry name"));
    if (flags & 1) throw Error(label_ + ": zip entry '" + e.name + "' is encrypted");
    // Zip64 extra field: the 64-bit values appear only for the fields that hold 0xffffffff.
    const std::string_view extra = c.span(p + 46 + name_len, extra_len, "extra field");
    for (uint64_t q = 0; q + 4 <= extra.size();) {
      const Cursor x(extra, label_);
      const uint64_t id = x.get(q, 2, "extra id"), len = x.get(q + 2, 2, "extra length");
      if (id == 0x0001) {
        uint64_t r = q + 4;
        auto take = [&](uint64_t& field) {
          if (field != 0xffffffff) return;
          if (r + 8 > q + 4 + len)
            throw Error(label_ + ": zip64 extra field of '" + e.name + "' is too short");
          field = x.get(r, 8, "zip64 value");
          r += 8;
        };
        take(e.uncompressed_size);
        take(e.compressed_size);
        take(e.local_header_offset);
      }
      q += 4 + len;
    }
    if (e.method != 0 && e.method != 8)
      throw Error(label_ + ": zip entry '" + e.name + "' uses compression method " +
                  std::to_string(e.method) + " (only stored and deflate are supported)");
    if (!names.insert(e.name).second)
      throw Error(label_ + ": zip has two entries named '" + e.name + "'");
    entries_.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const ZipEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string ZipReader::read(const ZipEntry& e) const {
  const Cursor c(bytes_, label_);
  const uint64_t p = e.local_header_offset;
  if (c.get(p, 4, "local header") != kLocalSig)
    throw Error(label_ + ": zip local header of '" + e.name + "' has a bad signature (corrupt)");
  const uint64_t data_at =
      p + 30 + c.get(p + 26, 2, "name length") + c.get(p + 28, 2, "extra length");
  const std::string_view packed = c.span(data_at, e.compressed_size, "entry data");
  std::string out;
  if (e.method == 0) {
    if (e.compressed_size != e.uncompressed_size)
      throw Error(label_ + ": stored zip entry '" + e.name + "' has different sizes");
    out.assign(packed);
  } else {
    if (e.uncompressed_size > e.compressed_size * kMaxDeflateRatio + 1024)
      throw Error(label_ + ": deflated zip entry '" + e.name + "' claims an impossible size " +
                  std::to_string(e.uncompressed_size));
    out.resize(e.uncompressed_size);
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) throw Error(label_ + ": cannot start zlib");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = 0;
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = 0;
    // Feed in chunks so that sizes above 4 GiB (uInt) work.
    uint64_t in_left = packed.size(), out_left = out.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
      if (z.avail_in == 0 && in_left) {
        z.avail_in = uInt(std::min<uint64_t>(in_left, 1u << 30));
        in_left -= z.avail_in;
      }
      if (z.avail_out == 0 && out_left) {
        z.avail_out = uInt(std::min<uint64_t>(out_left, 1u << 30));
        out_left -= z.avail_out;
      }
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) break;
      if (rc == Z_BUF_ERROR && z.avail_out == 0 && out_left == 0) break;
      if (rc == Z_BUF_ERROR) rc = Z_OK;
    }
    const uint64_t produced = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != e.uncompressed_size)
      throw Error(label_ + ": deflated zip entry '" + e.name +
                  "' is corrupt or truncated (inflated " + std::to_string(produced) + " of " +
                  std::to_string(e.uncompressed_size) + " bytes)");
  }
  uLong crc = ::crc32(0L, Z_NULL, 0);
  for (std::size_t off = 0; off < out.size(); off += (1u << 30)) {
    const std::size_t n = std::min<std::size_t>(out.size() - off, 1u << 30);
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(out.data() + off), uInt(n));
  }
  if (uint32_t(crc) != e.crc32)
    throw Error(label_ + ": zip entry '" + e.name + "' fails its CRC-32 check (corrupt)");
  return out;
}

}  // namespace lidardet::checkpoint_detail
