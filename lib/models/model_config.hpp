// Model configuration files: lidardet's configs/*.yaml and OpenPCDet's own YAML files (with
// `_BASE_CONFIG_` inheritance), read into one YAML tree, with errors that name file and key.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace lidardet {

struct ModelConfig {
  YAML::Node root;
  std::string path;  // the file it was read from (for error messages)

  // The node at a dotted path ("MODEL.DENSE_HEAD.NAME"); throws lidardet::Error naming the
  // file and the key when it is missing.
  YAML::Node require(const std::string& dotted) const;
  // The node at a dotted path, or an undefined node when absent.
  YAML::Node find(const std::string& dotted) const;

  double get_double(const std::string& dotted) const;
  int get_int(const std::string& dotted) const;
  std::string get_string(const std::string& dotted) const;
  std::vector<double> get_doubles(const std::string& dotted, std::size_t expected = 0) const;
  std::vector<std::string> get_strings(const std::string& dotted) const;
  // Converts a node found under `dotted` with a clear error on a type mismatch.
  template <typename T>
  T as(const YAML::Node& node, const std::string& dotted) const;
};

// Reads a config. A top-level or nested `_BASE_CONFIG_: path` is resolved relative to the file's
// folder (then each parent folder, as OpenPCDet resolves `cfgs/...` from tools/) and merged
// under the keys of the including map, which win.
ModelConfig load_model_config(const std::string& path);
// The same from YAML text (tests); `name` stands in for the file name in errors.
ModelConfig parse_model_config(const std::string& yaml_text, const std::string& name = "<config>");

}  // namespace lidardet
