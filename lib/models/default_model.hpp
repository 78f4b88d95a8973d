// Where the shipped default model (the small LION-Mamba KITTI-style one) lives: its config under
// configs/ and its weights under models/, looked up in the source tree or the installed data dir.
#pragma once
#include <string>
#include <vector>

namespace lidardet {

struct ModelFiles {
  std::string config, weights;
};

// The first root holding both configs/lion_mamba_kitti_small.yaml and
// models/lion_mamba_kitti_small/lion_mamba_kitti_small.pth; throws lidardet::Error
// listing the roots searched.
ModelFiles default_model_files(const std::vector<std::string>& roots);

// Resolves --config/--weights: both given, or neither (the default model); one alone is an error.
ModelFiles resolve_model_files(const std::string& config, const std::string& weights,
                               const std::vector<std::string>& roots);

}  // namespace lidardet
