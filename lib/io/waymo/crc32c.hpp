// CRC32C (Castagnoli) and the masking TFRecord applies to it, computed with a software table so
// that the reader needs no CPU feature and gives the same result everywhere.
#pragma once
#include <cstdint>
#include <string_view>

namespace lidardet::waymo {

// CRC32C of `data` (reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF).
std::uint32_t crc32c(std::string_view data);

// TFRecord stores masked CRCs so that a CRC of data that itself holds CRCs stays well mixed.
std::uint32_t mask_crc(std::uint32_t crc);
std::uint32_t unmask_crc(std::uint32_t masked);

}  // namespace lidardet::waymo
