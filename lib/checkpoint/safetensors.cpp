// safetensors: u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "checkpoint/formats.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet {

namespace {
constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's own limit
}

namespace checkpoint_detail {

Checkpoint load_safetensors(std::string_view bytes, const std::string& label) {
  auto bad = [&](const std::string& m) -> void { throw Error(label + ": safetensors " + m); };
  if (bytes.size() < 8) bad("file is shorter than its 8-byte header length (truncated)");
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) n = (n << 8) | uint8_t(bytes[b]);
  if (n > kMaxHeader || n > bytes.size() - 8)
    bad("header length " + std::to_string(n) + " exceeds the file (" +
        std::to_string(bytes.size()) + " bytes; truncated?)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    bad(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) bad("header is not a JSON object");
  const std::string_view data = bytes.substr(8 + n);
  Checkpoint ck;
  ck.source = label;
  ck.container = "safetensors";
  struct Slot {
    uint64_t begin, end;
    NamedTensor t;
  };
  std::vector<Slot> slots;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) bad("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) bad("__metadata__ '" + m.key() + "' is not a string");
        ck.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto field = [&](const char* f) -> const nlohmann::json& {
      if (!v.is_object() || !v.contains(f)) bad("tensor '" + name + "': field '" + f + "' missing");
      return v.at(f);
    };
    Slot s;
    s.t.name = name;
    const nlohmann::json& dt = field("dtype");
    if (!dt.is_string()) bad("tensor '" + name + "': field 'dtype' is not a string");
    try {
      s.t.dtype = dtype_from_name(dt.get<std::string>());
    } catch (const Error& e) {
      bad("tensor '" + name + "': " + e.what());
    }
    const nlohmann::json& shape = field("shape");
    const nlohmann::json& offs = field("data_offsets");
    if (!shape.is_array()) bad("tensor '" + name + "': field 'shape' is not an array");
    uint64_t numel = 1;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned()) bad("tensor '" + name + "': shape holds a non-integer");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (uint64_t(1) << 62) || __builtin_mul_overflow(numel, dim, &numel))
        bad("tensor '" + name + "': shape is too large");
      s.t.shape.push_back(int64_t(dim));
    }
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() ||
        !offs[1].is_number_unsigned())
      bad("tensor '" + name + "': field 'data_offsets' must be [begin, end]");
    s.begin = offs[0].get<uint64_t>();
    s.end = offs[1].get<uint64_t>();
    uint64_t bytes_needed = 0;
    if (s.end < s.begin || s.end > data.size() ||
        __builtin_mul_overflow(numel, dtype_size(s.t.dtype), &bytes_needed) ||
        bytes_needed != s.end - s.begin)
      bad("tensor '" + name + "': data_offsets [" + std::to_string(s.begin) + ", " +
          std::to_string(s.end) + "] do not fit its shape and dtype or the " +
          std::to_string(data.size()) + "-byte data section");
    slots.push_back(std::move(s));
  }
  // File order is data order; the offsets must tile the data section without gaps or overlap.
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (Slot& s : slots) {
    if (s.begin != at)
      bad("tensor '" + s.t.name + "' starts at byte " + std::to_string(s.begin) + ", expected " +
          std::to_string(at) + " (gap or overlap in data_offsets)");
    at = s.end;
    s.t.data.assign(data.begin() + s.begin, data.begin() + s.end);
    ck.tensors.push_back(std::move(s.t));
  }
  if (at != data.size())
    bad("data section has " + std::to_string(data.size() - at) + " bytes after the last tensor");
  return ck;
}

}  // namespace checkpoint_detail

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = m;
  }
  uint64_t at = 0;
  for (const NamedTensor& t : tensors) {
    if (t.name == "__metadata__" || header.contains(t.name))
      throw Error(path + ": cannot write tensor name '" + t.name + "' twice or as __metadata__");
    if (t.data.size() != uint64_t(t.numel()) * dtype_size(t.dtype))
      throw Error(path + ": tensor '" + t.name + "' holds " + std::to_string(t.data.size()) +
                  " bytes, its shape and dtype need " +
                  std::to_string(uint64_t(t.numel()) * dtype_size(t.dtype)));
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {at, at + t.data.size()}}};
    at += t.data.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  write_file_atomic(
      path,
      [&](std::ostream& out) {
        char len[8];
        for (int b = 0; b < 8; ++b) len[b] = char((uint64_t(text.size()) >> (8 * b)) & 0xff);
        out.write(len, 8);
        out.write(text.data(), std::streamsize(text.size()));
        for (const NamedTensor& t : tensors)
          out.write(reinterpret_cast<const char*>(t.data.data()), std::streamsize(t.data.size()));
      },
      true);
}

}  // namespace lidardet
