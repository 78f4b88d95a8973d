// zlib (RFC 1950) streams, which is how Waymo stores range images, pixel poses and camera
// projections inside a Frame.
#pragma once
#include <string>
#include <string_view>

namespace lidardet::waymo {

// Inflates a complete zlib stream. `where` names the field in errors ("FILE: record 0:
// Frame.lasers[TOP].ri_return1.range_image_compressed"). `size_hint` (bytes) avoids regrowing
// the output when the caller knows roughly how large it is. Throws lidardet::Error for a
// corrupt, truncated or trailing-garbage stream.
std::string zlib_inflate(std::string_view compressed, const std::string& where,
                         std::size_t size_hint = 0);

// zlib's own streaming inflate, what zlib_inflate uses when lidardet is built without
// libdeflate (kept callable for the benchmark's baseline and for tests of both paths).
std::string zlib_inflate_streaming(std::string_view compressed, const std::string& where,
                                   std::size_t size_hint = 0);

// The first `n` bytes of the inflated stream (fewer when it is shorter or corrupt), without
// inflating the rest: enough to read a message's leading length field.
std::size_t zlib_peek(std::string_view compressed, char* out, std::size_t n);

// Deflates `data` into a zlib stream (level 0..9; Waymo's own files use the default, 6).
std::string zlib_deflate(std::string_view data, int level = 6);

}  // namespace lidardet::waymo
