#include "models/npz.hpp"

#include <array>
#include <cstring>
#include <limits>

#include "checkpoint/zip_reader.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet {
namespace {

uint32_t crc32(const std::string& s) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put16(std::string& o, uint32_t v) {
  o += char(v & 0xFF);
  o += char((v >> 8) & 0xFF);
}
void put32(std::string& o, uint32_t v) {
  put16(o, v & 0xFFFF);
  put16(o, v >> 16);
}

}  // namespace

std::string npy_bytes(const nn::Tensor& t) {
  if (t.device() != nn::Device::Host || !t.contiguous())
    throw Error("npy: tensor must be a contiguous host tensor");
  const char* descr = t.dtype() == nn::DType::F32   ? "<f4"
                      : t.dtype() == nn::DType::I32 ? "<i4"
                                                    : "<i8";
  std::string shape = "(";
  for (int i = 0; i < t.rank(); ++i)
    shape += std::to_string(t.dim(i)) + (t.rank() == 1 ? "," : i + 1 < t.rank() ? ", " : "");
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to 64 bytes, then '\n'.
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header += std::string(total - 10 - header.size() - 1, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  put16(out, uint32_t(header.size()));
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.numel() * nn::dtype_size(t.dtype()));
  return out;
}

void write_npz(const std::string& path,
               const std::vector<std::pair<std::string, nn::Tensor>>& tensors) {
  std::string zip, central;
  uint32_t count = 0;
  for (const auto& [name, t] : tensors) {
    const std::string data = npy_bytes(t), fname = name + ".npy";
    if (data.size() >= 0xFFFFFFFFu || zip.size() >= 0xFFFFFFFFu)
      throw Error(path + ": tensor " + name + " is too large for a plain zip (over 4 GiB)");
    const uint32_t crc = crc32(data), offset = uint32_t(zip.size());
    // Local header: stored (method 0), no data descriptor.
    put32(zip, 0x04034b50);
    put16(zip, 20);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 0x21);  // DOS time/date: any fixed value keeps the output deterministic
    put32(zip, crc);
    put32(zip, uint32_t(data.size()));
    put32(zip, uint32_t(data.size()));
    put16(zip, uint32_t(fname.size()));
    put16(zip, 0);
    zip += fname + data;
    put32(central, 0x02014b50);
    put16(central, 20);
    put16(central, 20);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, uint32_t(data.size()));
    put32(central, uint32_t(data.size()));
    put16(central, uint32_t(fname.size()));
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, offset);
    central += fname;
    ++count;
  }
  const uint32_t cd_offset = uint32_t(zip.size());
  zip += central;
  put32(zip, 0x06054b50);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, count);
  put16(zip, count);
  put32(zip, uint32_t(central.size()));
  put32(zip, cd_offset);
  put16(zip, 0);
  write_file_atomic(path, zip);
}

namespace {

// Value of `key` in the npy header dict (text up to the next top-level comma or brace).
std::string header_field(const std::string& h, const std::string& key, const std::string& where) {
  const std::size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) throw Error(where + ": npy header lacks '" + key + "'");
  std::size_t v = h.find(':', k) + 1;
  while (v < h.size() && h[v] == ' ') ++v;
  std::size_t e = v;
  if (h[v] == '(') {
    e = h.find(')', v) + 1;
  } else {
    while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
  }
  return h.substr(v, e - v);
}

nn::Tensor parse_npy(const std::string& b, const std::string& where) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    throw Error(where + ": not an .npy file (bad magic)");
  const int major = (unsigned char)b[6];
  std::size_t hlen, start;
  if (major == 1) {
    hlen = (unsigned char)b[8] | ((unsigned char)b[9] << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw Error(where + ": truncated .npy header");
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= std::size_t((unsigned char)b[8 + i]) << (8 * i);
    start = 12;
  } else {
    throw Error(where + ": unsupported .npy version " + std::to_string(major));
  }
  if (start + hlen > b.size()) throw Error(where + ": truncated .npy header");
  const std::string h = b.substr(start, hlen);
  const std::string descr = header_field(h, "descr", where);
  if (header_field(h, "fortran_order", where) != "False")
    throw Error(where + ": Fortran-order arrays are not supported (save C order)");
  const std::string shp = header_field(h, "shape", where);
  nn::Shape shape;
  for (std::size_t p = 1; p < shp.size();) {
    while (p < shp.size() && (shp[p] == ' ' || shp[p] == ',')) ++p;
    if (p >= shp.size() || shp[p] == ')') break;
    std::size_t used = 0;
    shape.push_back(std::stoll(shp.substr(p), &used));
    p += used;
  }
  const std::size_t n = static_cast<std::size_t>(nn::shape_numel(shape));
  const char* data = b.data() + start + hlen;
  const std::size_t avail = b.size() - start - hlen;
  auto need = [&](std::size_t bytes) {
    if (avail < bytes * n)
      throw Error(where + ": truncated data (" + std::to_string(avail) + " bytes for " +
                  std::to_string(n) + " elements)");
  };
  if (descr == "'<f4'" || descr == "'<f8'") {
    nn::Tensor t = nn::Tensor::empty(shape, nn::DType::F32);
    if (descr == "'<f4'") {
      need(4);
      std::memcpy(t.raw(), data, n * 4);
    } else {
      need(8);
      for (std::size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, data + i * 8, 8);
        t.f32()[i] = float(d);
      }
    }
    return t;
  }
  if (descr == "'<i4'" || descr == "'<i8'") {
    nn::Tensor t = nn::Tensor::empty(shape, nn::DType::I32);
    if (descr == "'<i4'") {
      need(4);
      std::memcpy(t.raw(), data, n * 4);
    } else {
      need(8);
      for (std::size_t i = 0; i < n; ++i) {
        int64_t v;
        std::memcpy(&v, data + i * 8, 8);
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
          throw Error(where + ": element " + std::to_string(i) + " (" + std::to_string(v) +
                      ") does not fit int32");
        t.i32()[i] = int32_t(v);
      }
    }
    return t;
  }
  throw Error(where + ": dtype " + descr + " is not supported (expected float32/64, int32/64)");
}

}  // namespace

std::map<std::string, nn::Tensor> read_npz(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  checkpoint_detail::ZipReader zip(bytes, path);
  std::map<std::string, nn::Tensor> out;
  for (const auto& e : zip.entries()) {
    std::string name = e.name;
    if (name.size() > 4 && name.ends_with(".npy")) name.resize(name.size() - 4);
    out[name] = parse_npy(zip.read(e), path + ": entry " + e.name);
  }
  return out;
}

nn::Tensor read_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

}  // namespace lidardet
