// Format detection: the first bytes tell a zip, a legacy pickle stream and safetensors apart.
#include "checkpoint/checkpoint.hpp"
#include "checkpoint/formats.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace lidardet {

Checkpoint load_checkpoint_bytes(std::string_view b, const std::string& label) {
  using namespace checkpoint_detail;
  if (b.empty()) throw Error(label + ": empty file (not a checkpoint)");
  if (b.size() >= 4 && b.substr(0, 2) == "PK" &&
      (b.substr(2, 2) == std::string_view("\x03\x04", 2) ||
       b.substr(2, 2) == std::string_view("\x05\x06", 2)))
    return load_pytorch_zip(b, label);
  // safetensors first: its 8-byte header length may well start with 0x80 (a pickle's PROTO
  // opcode), but a legacy pickle never has '{' at byte 8 (that is inside its magic number).
  if (b.size() >= 9 && b[8] == '{') return load_safetensors(b, label);
  if (uint8_t(b[0]) == 0x80) return load_pytorch_legacy(b, label);
  if (b.size() >= 262 && b.substr(257, 5) == "ustar")
    throw Error(label + ": tar-based checkpoints (PyTorch before 0.4) are not supported");
  throw Error(label +
              ": unknown checkpoint format (expected a PyTorch .pth/.pt zip or legacy file, or "
              "safetensors)");
}

Checkpoint load_checkpoint(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  return load_checkpoint_bytes(bytes, path);
}

}  // namespace lidardet
