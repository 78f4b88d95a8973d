// A read-only zip archive over bytes in memory, as PyTorch writes .pth files: end of central
// directory (zip64 when needed), central directory, local headers; stored and deflated entries.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lidardet::checkpoint_detail {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  // Parses the directory; throws lidardet::Error (naming `label`) for a corrupt or truncated
  // archive, encryption, multi-disk archives or duplicate names.
  ZipReader(std::string_view bytes, std::string label);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;
  // The entry's uncompressed bytes, CRC-checked.
  std::string read(const ZipEntry& entry) const;

 private:
  std::string_view bytes_;
  std::string label_;
  std::vector<ZipEntry> entries_;
};

}  // namespace lidardet::checkpoint_detail
