// 8-bit RGB PNG encoding with libpng (image_2 placeholders, bird's-eye renders).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lidardet::sim {

// PNG bytes of a width x height RGB image (rgb holds width * height * 3 bytes, row-major).
std::string encode_png_rgb(int width, int height, const std::vector<std::uint8_t>& rgb);

// Encodes and writes atomically.
void write_png_rgb(const std::string& path, int width, int height,
                   const std::vector<std::uint8_t>& rgb);

}  // namespace lidardet::sim
