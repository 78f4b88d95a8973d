// NumPy .npy files holding a 2-D float32 array (N, C), C order: OpenPCDet's processed Waymo
// frames are (N, 6). Reads format versions 1.0, 2.0 and 3.0; writes 1.0 with the header padded
// so that the data starts at a multiple of 64 bytes, as NumPy does.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace lidardet::waymo {

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<float> data;  // row-major
};

// Reads a little-endian float32 ('<f4') or float64 ('<f8', converted) array of any rank, C
// order. Throws lidardet::Error naming the file and the header field for anything else.
NpyArray read_npy(const std::string& path);

// Parses the bytes of a .npy file; `where` names it in errors.
NpyArray parse_npy(const std::string& bytes, const std::string& where);

// Writes a (rows, cols) float32 array atomically.
void write_npy(const std::string& path, const float* data, std::size_t rows, std::size_t cols);
std::string encode_npy(const float* data, std::size_t rows, std::size_t cols);

}  // namespace lidardet::waymo
