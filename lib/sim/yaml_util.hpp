// Small YAML readers that turn missing or malformed fields into lidardet::Error naming the
// file, the field path and what was expected.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace lidardet::sim {

YAML::Node load_yaml_file(const std::string& path);
// node[key] must exist and be a map; `path` names the field for errors ("scene.cars").
YAML::Node yaml_map(const YAML::Node& node, const std::string& key, const std::string& file,
                    const std::string& path);
double yaml_double(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& path);
double yaml_double_or(const YAML::Node& node, const std::string& key, double fallback,
                      const std::string& file, const std::string& path);
int yaml_int(const YAML::Node& node, const std::string& key, const std::string& file,
             const std::string& path);
std::string yaml_string(const YAML::Node& node, const std::string& key, const std::string& file,
                        const std::string& path);
// A list of numbers, of length `expected` when expected > 0.
std::vector<double> yaml_doubles(const YAML::Node& node, const std::string& key,
                                 const std::string& file, const std::string& path,
                                 std::size_t expected = 0);

}  // namespace lidardet::sim
