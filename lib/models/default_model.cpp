#include "models/default_model.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace lidardet {

ModelFiles default_model_files(const std::vector<std::string>& roots) {
  std::string searched;
  for (const auto& r : roots) {
    // The .pth, not the .safetensors: the checkpoint loader currently takes this safetensors
    // file (header length 0xcf80, first byte 0x80) for a legacy pickle (reported to the lead).
    ModelFiles f{r + "/configs/lion_mamba_kitti_small.yaml",
                 r + "/models/lion_mamba_kitti_small/lion_mamba_kitti_small.pth"};
    if (std::filesystem::exists(f.config) && std::filesystem::exists(f.weights)) return f;
    searched += " " + r;
  }
  throw Error(
      "the default model (configs/lion_mamba_kitti_small.yaml and models/"
      "lion_mamba_kitti_small/lion_mamba_kitti_small.pth) was not found under:" +
      searched + "; pass --config and --weights");
}

ModelFiles resolve_model_files(const std::string& config, const std::string& weights,
                               const std::vector<std::string>& roots) {
  if (config.empty() && weights.empty()) return default_model_files(roots);
  if (config.empty() || weights.empty())
    throw Error(
        "--config and --weights go together (give both, or neither for the default "
        "model)");
  return {config, weights};
}

}  // namespace lidardet
