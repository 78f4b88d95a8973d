#include "io/waymo/npy.hpp"

#include <cstring>
#include <limits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet::waymo {
namespace {

// The value text of `key` in the header dict, e.g. "'<f4'" or "(3, 6)".
std::string dict_value(const std::string& header, const std::string& key,
                       const std::string& where) {
  const std::string k = "'" + key + "'";
  std::size_t p = header.find(k);
  if (p == std::string::npos) throw Error(where + ": header field '" + key + "' is missing");
  p = header.find(':', p + k.size());
  if (p == std::string::npos) throw Error(where + ": header field '" + key + "' has no value");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  std::size_t end = p;
  if (p < header.size() && header[p] == '(') {
    end = header.find(')', p);
    if (end == std::string::npos) throw Error(where + ": header field 'shape' is not closed");
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  std::string v = header.substr(p, end - p);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

std::vector<std::size_t> parse_shape(const std::string& text, const std::string& where) {
  std::vector<std::size_t> shape;
  std::size_t i = 1;  // after '('
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i >= text.size() || text[i] == ')') break;
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(text.substr(i), &used);
    } catch (...) {
      used = 0;
    }
    if (!used) throw Error(where + ": header field 'shape': cannot parse " + text);
    shape.push_back(static_cast<std::size_t>(v));
    i += used;
  }
  return shape;
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& where) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    throw Error(where + ": not a .npy file (missing the \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(where + ": truncated .npy header");
    std::uint32_t n;
    std::memcpy(&n, bytes.data() + 8, 4);
    header_len = n;
    start = 12;
  } else {
    throw Error(where + ": unsupported .npy format version " + std::to_string(major) +
                " (expected 1, 2 or 3)");
  }
  if (bytes.size() < start + header_len) throw Error(where + ": truncated .npy header");
  const std::string header = bytes.substr(start, header_len);
  const std::string descr = dict_value(header, "descr", where);
  const std::string fortran = dict_value(header, "fortran_order", where);
  if (fortran != "False")
    throw Error(where + ": header field 'fortran_order': " + fortran + ", expected False");
  std::size_t item = 0;
  if (descr == "'<f4'")
    item = 4;
  else if (descr == "'<f8'")
    item = 8;
  else
    throw Error(where + ": header field 'descr': " + descr + ", expected '<f4' or '<f8'");
  NpyArray a;
  a.shape = parse_shape(dict_value(header, "shape", where), where);
  std::size_t n = 1;
  for (std::size_t d : a.shape) {
    if (d && n > std::numeric_limits<std::size_t>::max() / d / 8)
      throw Error(where + ": header field 'shape' is too large");
    n *= d;
  }
  const std::size_t data_start = start + header_len;
  if (bytes.size() - data_start != n * item)
    throw Error(where + ": shape needs " + std::to_string(n * item) + " data bytes, the file has " +
                std::to_string(bytes.size() - data_start));
  a.data.resize(n);
  if (item == 4) {
    if (n) std::memcpy(a.data.data(), bytes.data() + data_start, n * 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, bytes.data() + data_start + 8 * i, 8);
      a.data[i] = static_cast<float>(d);
    }
  }
  return a;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

std::string encode_npy(const float* data, std::size_t rows, std::size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  // Pad with spaces and end in '\n' so that 10 + header length is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xFF));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data), rows * cols * sizeof(float));
  return out;
}

void write_npy(const std::string& path, const float* data, std::size_t rows, std::size_t cols) {
  write_file_atomic(path, encode_npy(data, rows, cols));
}

}  // namespace lidardet::waymo
