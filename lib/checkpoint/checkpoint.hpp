// Named tensors read from model checkpoints: PyTorch .pth/.pt files (zip and legacy pre-1.6
// containers, read without executing any code) and safetensors (lidardet's own format).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lidardet {

// Element types a checkpoint may hold (the ones PyTorch state dicts use).
enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

std::size_t dtype_size(DType t);
// "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL" (safetensors spelling).
const char* dtype_name(DType t);
// Inverse of dtype_name; throws lidardet::Error for an unknown name.
DType dtype_from_name(std::string_view name);

struct NamedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // empty for a 0-d (scalar) tensor
  std::vector<uint8_t> data;   // contiguous, row-major, little-endian; numel() * dtype_size bytes

  int64_t numel() const;  // product of shape (1 for a 0-d tensor)
  // Every element converted to float (f16/bf16 widened exactly, integers and bool cast).
  std::vector<float> to_float32() const;
};

struct Checkpoint {
  std::string source;     // the path (or label) it was read from, used in error messages
  std::string container;  // "pytorch-zip", "pytorch-legacy" or "safetensors"
  // Where the tensors were found: "" (top level), "model_state" (OpenPCDet), "state_dict"
  // (mmdet3d/mmcv), "model".
  std::string wrapper;
  std::vector<NamedTensor> tensors;  // in file order
  // safetensors __metadata__, or the wrapper's scalar fields (OpenPCDet 'epoch', 'it', 'version';
  // mmcv 'meta.*'), as text.
  std::map<std::string, std::string> metadata;

  const NamedTensor* find(std::string_view name) const;  // nullptr when absent
};

// Reads a checkpoint, detecting the format from its first bytes. Throws lidardet::Error naming
// the file and what is wrong for a corrupt, truncated or unsupported file, and for any pickled
// global outside the allow-list (docs/checkpoints.md): loading never executes code.
Checkpoint load_checkpoint(const std::string& path);
// The same from bytes already in memory; `label` names the source in errors.
Checkpoint load_checkpoint_bytes(std::string_view bytes, const std::string& label);

// Writes tensors (in the given order) and string metadata as a safetensors file, atomically.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Compares a checkpoint's keys with what a model expects (name -> shape). Throws ONE
// lidardet::Error listing every missing key, every unexpected key and every shape mismatch.
void check_keys(const Checkpoint& checkpoint,
                const std::map<std::string, std::vector<int64_t>>& expected);

}  // namespace lidardet
