// Where the shipped default model lives: configs/default_model.yaml names its config and weights
// (relative to the root holding it: the source tree or the installed data dir).
#pragma once
#include <string>
#include <vector>

namespace lidardet {

struct ModelFiles {
  std::string config, weights;
};

// The files named by <root>/configs/default_model.yaml in the first root that has it (keys
// `config` and `weights`). Throws lidardet::Error listing the roots searched when none has it,
// and naming the file and key when the YAML is malformed or a named file is missing.
ModelFiles default_model_files(const std::vector<std::string>& roots);

// Resolves --config/--weights: both given, or neither (the default model); one alone is an error.
ModelFiles resolve_model_files(const std::string& config, const std::string& weights,
                               const std::vector<std::string>& roots);

}  // namespace lidardet
