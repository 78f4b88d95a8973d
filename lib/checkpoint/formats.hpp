// The container readers behind load_checkpoint (one per format).
#pragma once
#include <string>
#include <string_view>

#include "checkpoint/checkpoint.hpp"

namespace lidardet::checkpoint_detail {

Checkpoint load_pytorch_zip(std::string_view bytes, const std::string& label);
Checkpoint load_pytorch_legacy(std::string_view bytes, const std::string& label);
Checkpoint load_safetensors(std::string_view bytes, const std::string& label);

}  // namespace lidardet::checkpoint_detail
