#include "adapters/pcd_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "io/text_fields.hpp"

namespace lidardet::detail {

std::string lzf_decompress(std::string_view in, std::size_t out_size, const std::string& path) {
  std::string out;
  out.reserve(out_size);
  std::size_t i = 0;
  auto bad = [&](const char* what) {
    fail(path, 0, "DATA", std::string("corrupt binary_compressed data: ") + what);
  };
  while (i < in.size()) {
    const unsigned ctrl = static_cast<unsigned char>(in[i++]);
    if (ctrl < 32) {  // literal run of ctrl + 1 bytes
      const std::size_t n = ctrl + 1;
      if (i + n > in.size()) bad("literal run past the end of the input");
      if (out.size() + n > out_size) bad("output larger than the header says");
      out.append(in.substr(i, n));
      i += n;
    } else {  // back-reference: length (ctrl >> 5) + 2, offset ((ctrl & 31) << 8) + next + 1
      std::size_t len = ctrl >> 5;
      if (len == 7) {
        if (i >= in.size()) bad("truncated back-reference");
        len += static_cast<unsigned char>(in[i++]);
      }
      len += 2;
      if (i >= in.size()) bad("truncated back-reference");
      const std::size_t off = ((ctrl & 31u) << 8) + static_cast<unsigned char>(in[i++]) + 1;
      if (off > out.size()) bad("back-reference before the start of the output");
      if (out.size() + len > out_size) bad("output larger than the header says");
      // Byte by byte: the source may overlap the bytes being written (run-length style).
      for (std::size_t k = 0; k < len; ++k) out.push_back(out[out.size() - off]);
    }
  }
  if (out.size() != out_size) bad("output smaller than the header says");
  return out;
}

namespace {

struct Column {
  std::string name;
  char type;                  // 'F', 'I' or 'U'
  std::size_t size;           // bytes
  std::size_t start, stride;  // byte position of point 0 and step between points
};

double load(const char* p, char type, std::size_t size) {
  auto get = [&](auto v) {
    std::memcpy(&v, p, sizeof v);
    return static_cast<double>(v);
  };
  if (type == 'F') return size == 4 ? get(float{}) : get(double{});
  if (type == 'I') {
    switch (size) {
      case 1:
        return get(std::int8_t{});
      case 2:
        return get(std::int16_t{});
      case 4:
        return get(std::int32_t{});
      default:
        return get(std::int64_t{});
    }
  }
  switch (size) {
    case 1:
      return get(std::uint8_t{});
    case 2:
      return get(std::uint16_t{});
    case 4:
      return get(std::uint32_t{});
    default:
      return get(std::uint64_t{});
  }
}

// Parses a non-negative integer header value.
std::size_t header_count(std::string_view s, const std::string& path, long line,
                         const std::string& key) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    fail(path, line, key, "expected a non-negative integer, got '" + std::string(s) + "'");
  return v;
}

}  // namespace

PointCloud parse_pcd(std::string_view bytes, const std::string& path) {
  std::vector<std::string> fields, types;
  std::vector<std::size_t> sizes, counts;
  std::size_t width = 0, height = 1, points = 0;
  bool have_width = false, have_points = false;
  std::string data;
  long line = 0, data_line = 0;
  std::size_t pos = 0;
  while (data.empty()) {
    if (pos >= bytes.size()) fail(path, line, "DATA", "the header has no DATA line");
    std::size_t eol = bytes.find('\n', pos);
    if (eol == std::string_view::npos) eol = bytes.size();
    const std::string_view text = bytes.substr(pos, eol - pos);
    pos = eol + 1;
    ++line;
    const auto f = text::split_fields(text);
    if (f.empty() || f[0].front() == '#') continue;
    const std::string key(f[0]);
    auto values = [&] {
      if (f.size() < 2) fail(path, line, key, "no values");
      return std::vector<std::string>(f.begin() + 1, f.end());
    };
    auto numbers = [&] {
      std::vector<std::size_t> v;
      for (const auto& s : values()) v.push_back(header_count(s, path, line, key));
      return v;
    };
    auto single = [&] {
      if (f.size() != 2) fail(path, line, key, "expected one value");
      return header_count(f[1], path, line, key);
    };
    if (key == "VERSION" || key == "VIEWPOINT") {
      continue;
    } else if (key == "FIELDS") {
      fields = values();
    } else if (key == "SIZE") {
      sizes = numbers();
    } else if (key == "TYPE") {
      types = values();
    } else if (key == "COUNT") {
      counts = numbers();
    } else if (key == "WIDTH") {
      width = single();
      have_width = true;
    } else if (key == "HEIGHT") {
      height = single();
    } else if (key == "POINTS") {
      points = single();
      have_points = true;
    } else if (key == "DATA") {
      if (f.size() != 2 || (f[1] != "ascii" && f[1] != "binary" && f[1] != "binary_compressed"))
        fail(path, line, key, "expected ascii, binary or binary_compressed");
      data = std::string(f[1]);
      data_line = line;
    } else {
      fail(path, line, key, "unknown PCD header key");
    }
  }
  if (fields.empty()) fail(path, 0, "FIELDS", "missing header line");
  if (counts.empty()) counts.assign(fields.size(), 1);
  if (sizes.size() != fields.size()) fail(path, 0, "SIZE", "needs one value per field");
  if (types.size() != fields.size()) fail(path, 0, "TYPE", "needs one value per field");
  if (counts.size() != fields.size()) fail(path, 0, "COUNT", "needs one value per field");
  if (!have_width) fail(path, 0, "WIDTH", "missing header line");
  if (height != 0 && width > std::numeric_limits<std::size_t>::max() / height)
    fail(path, 0, "WIDTH", "WIDTH x HEIGHT overflows");
  if (!have_points) points = width * height;
  if (points != width * height)
    fail(path, 0, "POINTS",
         std::to_string(points) + " is not WIDTH x HEIGHT = " + std::to_string(width * height));

  // Columns: every element of every field except "_" padding; x, y, z located.
  std::vector<Column> all;
  std::size_t point_step = 0;
  const bool soa = data == "binary_compressed";
  for (std::size_t j = 0; j < fields.size(); ++j) {
    const char t = types[j].size() == 1 ? types[j][0] : '?';
    const std::size_t s = sizes[j];
    const bool ok = (t == 'F' && (s == 4 || s == 8)) ||
                    ((t == 'I' || t == 'U') && (s == 1 || s == 2 || s == 4 || s == 8));
    if (!ok)
      fail(path, 0, fields[j], "unsupported TYPE/SIZE " + types[j] + "/" + std::to_string(s));
    if (counts[j] == 0 || counts[j] > 4096) fail(path, 0, fields[j], "COUNT must be 1..4096");
    point_step += s * counts[j];
  }
  if (point_step != 0 && points > (std::size_t(1) << 40) / point_step)
    fail(path, 0, "POINTS", "too many points");
  std::size_t off = 0;
  for (std::size_t j = 0; j < fields.size(); ++j) {
    const std::size_t s = sizes[j], n = counts[j];
    for (std::size_t k = 0; k < n; ++k) {
      if (fields[j] != "_") {
        const std::string name = n == 1 ? fields[j] : fields[j] + "_" + std::to_string(k);
        // AoS: element k at off + k*s in each point record. SoA: this field's block starts at
        // points * off, and holds n elements per point.
        all.push_back({name, types[j][0], s, soa ? points * off + k * s : off + k * s,
                       soa ? n * s : point_step});
      }
    }
    off += s * n;
  }
  std::vector<Column> cols;
  for (const char* axis : {"x", "y", "z"}) {
    std::size_t c = 0;
    while (c < all.size() && all[c].name != axis) ++c;
    if (c == all.size()) fail(path, 0, axis, "missing field");
    cols.push_back(all[c]);
  }
  for (const auto& c : all)
    if (c.name != "x" && c.name != "y" && c.name != "z") cols.push_back(c);
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);

  PointCloud out(names);
  out.reserve(points);
  std::vector<float> row(cols.size());
  auto emit = [&] {
    if (std::isfinite(row[0]) && std::isfinite(row[1]) && std::isfinite(row[2])) out.push_back(row);
  };
  const std::string_view body = bytes.substr(std::min(pos, bytes.size()));
  if (data == "ascii") {
    // Every element of every field, in file order, per line; map them onto the columns.
    std::vector<int> col_of_element;
    for (std::size_t j = 0; j < fields.size(); ++j)
      for (std::size_t k = 0; k < counts[j]; ++k) {
        const std::string name = counts[j] == 1 ? fields[j] : fields[j] + "_" + std::to_string(k);
        int c = -1;
        if (fields[j] != "_")
          for (std::size_t q = 0; q < cols.size(); ++q)
            if (cols[q].name == name) c = static_cast<int>(q);
        col_of_element.push_back(c);
      }
    std::size_t n = 0, p = 0;
    long l = data_line;
    while (p < body.size()) {
      std::size_t eol = body.find('\n', p);
      if (eol == std::string_view::npos) eol = body.size();
      const auto f = text::split_fields(body.substr(p, eol - p));
      p = eol + 1;
      ++l;
      if (f.empty()) continue;
      if (n == points) fail(path, l, "", "more data lines than POINTS = " + std::to_string(points));
      if (f.size() != col_of_element.size())
        fail(path, l, "",
             "expected " + std::to_string(col_of_element.size()) + " values, got " +
                 std::to_string(f.size()));
      for (std::size_t e = 0; e < f.size(); ++e) {
        if (col_of_element[e] < 0) continue;
        const auto& col = cols[col_of_element[e]];
        float v;
        if (f[e] == "nan" || f[e] == "NaN" || f[e] == "-nan") {
          v = std::numeric_limits<float>::quiet_NaN();
        } else {
          auto [end, ec] = std::from_chars(f[e].data(), f[e].data() + f[e].size(), v);
          if (ec != std::errc() || end != f[e].data() + f[e].size())
            fail(path, l, col.name, "expected a number, got '" + std::string(f[e]) + "'");
        }
        row[col_of_element[e]] = v;
      }
      emit();
      ++n;
    }
    if (n != points)
      fail(path, l, "",
           "found " + std::to_string(n) + " data lines, POINTS says " + std::to_string(points));
    return out;
  }
  const std::size_t need = points * point_step;
  std::string decompressed;
  std::string_view raw = body;
  if (soa) {
    if (body.size() < 8) fail(path, data_line, "DATA", "missing the compressed-size header");
    std::uint32_t csize, usize;
    std::memcpy(&csize, body.data(), 4);
    std::memcpy(&usize, body.data() + 4, 4);
    if (usize != need)
      fail(path, data_line, "DATA",
           "uncompressed size " + std::to_string(usize) + " does not match POINTS x point size " +
               std::to_string(need));
    if (csize > body.size() - 8)
      fail(path, data_line, "DATA",
           "compressed size " + std::to_string(csize) + " exceeds the file");
    decompressed = lzf_decompress(body.substr(8, csize), usize, path);
    raw = decompressed;
  } else if (body.size() < need) {
    fail(path, data_line, "DATA",
         "binary data holds " + std::to_string(body.size()) + " bytes, " + std::to_string(points) +
             " points need " + std::to_string(need));
  }
  for (std::size_t i = 0; i < points; ++i) {
    for (std::size_t c = 0; c < cols.size(); ++c)
      row[c] = static_cast<float>(
          load(raw.data() + cols[c].start + i * cols[c].stride, cols[c].type, cols[c].size));
    emit();
  }
  return out;
}

}  // namespace lidardet::detail
