// lidardet's own PCD v0.7 parser (ascii, binary, binary_compressed with LZF). PCL's reader is
// not used for input because it crashes on some malformed headers; this one validates every
// header line and data size and reports the file, line and field.
#pragma once
#include <string>
#include <string_view>

#include "core/point_cloud.hpp"

namespace lidardet::detail {

// Parses the bytes of a PCD file; `path` names it in errors. Same channel rules as read_pcd.
PointCloud parse_pcd(std::string_view bytes, const std::string& path);

// Decompresses an LZF (liblzf format) block into exactly `out_size` bytes; throws
// lidardet::Error naming `path` on any malformed or overflowing back-reference.
std::string lzf_decompress(std::string_view in, std::size_t out_size, const std::string& path);

}  // namespace lidardet::detail
