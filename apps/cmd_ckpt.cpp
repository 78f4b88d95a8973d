// `lidardet ckpt info FILE [--json]` and `lidardet ckpt convert IN OUT [--float32]`: inspect a
// PyTorch or safetensors checkpoint and convert it to safetensors (written atomically).
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint.hpp"
#include "command.hpp"

namespace {

using lidardet::Checkpoint;
using lidardet::DType;
using lidardet::NamedTensor;

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

void print_info(const Checkpoint& ck, bool json) {
  int64_t elements = 0;
  std::size_t bytes = 0;
  for (const NamedTensor& t : ck.tensors) {
    elements += t.numel();
    bytes += t.data.size();
  }
  if (json) {
    nlohmann::ordered_json j;
    j["file"] = ck.source;
    j["container"] = ck.container;
    j["wrapper"] = ck.wrapper;
    j["metadata"] = ck.metadata;
    j["tensor_count"] = ck.tensors.size();
    j["total_elements"] = elements;
    j["total_bytes"] = bytes;
    j["tensors"] = nlohmann::ordered_json::array();
    for (const NamedTensor& t : ck.tensors)
      j["tensors"].push_back(
          {{"name", t.name}, {"dtype", lidardet::dtype_name(t.dtype)}, {"shape", t.shape}});
    std::printf("%s\n", j.dump(1).c_str());
    return;
  }
  std::printf("%s\n  container: %s\n  wrapper:   %s\n  tensors:   %zu (%lld elements, %zu bytes)\n",
              ck.source.c_str(), ck.container.c_str(),
              ck.wrapper.empty() ? "(none: top-level state dict)" : ck.wrapper.c_str(),
              ck.tensors.size(), static_cast<long long>(elements), bytes);
  for (const auto& [k, v] : ck.metadata) std::printf("  meta %s: %s\n", k.c_str(), v.c_str());
  std::size_t width = 4;
  for (const NamedTensor& t : ck.tensors) width = std::max(width, t.name.size());
  for (const NamedTensor& t : ck.tensors)
    std::printf("%-*s  %-4s  %s\n", static_cast<int>(width), t.name.c_str(),
                lidardet::dtype_name(t.dtype), shape_text(t.shape).c_str());
}

// Floating tensors (f16, bf16, f64) become f32; integer and bool tensors are kept as they are.
void widen_floats(std::vector<NamedTensor>& tensors) {
  for (NamedTensor& t : tensors) {
    if (t.dtype != DType::F16 && t.dtype != DType::BF16 && t.dtype != DType::F64) continue;
    const std::vector<float> f = t.to_float32();
    t.data.resize(f.size() * 4);
    if (!f.empty()) std::memcpy(t.data.data(), f.data(), t.data.size());
    t.dtype = DType::F32;
  }
}

void setup_info(CLI::App& sub) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("file", *file, "checkpoint (.pth, .pt, .safetensors)")->required();
  sub.add_flag("--json", *json, "print JSON instead of a table");
  sub.callback([file, json] { print_info(lidardet::load_checkpoint(*file), *json); });
}

void setup_convert(CLI::App& sub) {
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto to_f32 = std::make_shared<bool>(false);
  sub.add_option("input", *in, "checkpoint to read (.pth, .pt, .safetensors)")->required();
  sub.add_option("output", *out, "safetensors file to write")->required();
  sub.add_flag("--float32", *to_f32, "store f16/bf16/f64 tensors as f32");
  sub.callback([in, out, to_f32] {
    Checkpoint ck = lidardet::load_checkpoint(*in);
    if (*to_f32) widen_floats(ck.tensors);
    std::map<std::string, std::string> meta = ck.metadata;
    meta["converted_from"] = ck.container + (ck.wrapper.empty() ? "" : ":" + ck.wrapper);
    lidardet::save_safetensors(*out, ck.tensors, meta);
    std::printf("wrote %zu tensors to %s\n", ck.tensors.size(), out->c_str());
  });
}

}  // namespace

LIDARDET_SUBCOMMAND(ckpt, info, "Print a checkpoint's tensors (name, dtype, shape) and metadata",
                    setup_info);
LIDARDET_SUBCOMMAND(ckpt, convert, "Convert a PyTorch checkpoint to safetensors", setup_convert);
