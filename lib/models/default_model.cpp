#include "models/default_model.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "models/model_config.hpp"

namespace lidardet {
namespace fs = std::filesystem;

namespace {
// <root>/<relative path> named by `key` of the default-model file, which must exist.
std::string named_file(const ModelConfig& spec, const std::string& root, const std::string& key) {
  const std::string rel = spec.get_string(key);
  if (rel.empty() || fs::path(rel).is_absolute())
    throw Error(spec.path + ": " + key + ": expected a path relative to " + root + ", got '" + rel +
                "'");
  const std::string path = (fs::path(root) / rel).string();
  if (!fs::exists(path))
    throw Error(spec.path + ": " + key + ": '" + rel + "' does not exist under " + root);
  return path;
}
}  // namespace

ModelFiles default_model_files(const std::vector<std::string>& roots) {
  std::string searched;
  for (const auto& r : roots) {
    const fs::path file = fs::path(r) / "configs" / "default_model.yaml";
    if (!fs::exists(file)) {
      searched += " " + r;
      continue;
    }
    const ModelConfig spec = load_model_config(file.string());
    return {named_file(spec, r, "config"), named_file(spec, r, "weights")};
  }
  throw Error("the default model (configs/default_model.yaml) was not found under:" + searched +
              "; pass --config and --weights");
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
