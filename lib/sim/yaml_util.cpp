#include "sim/yaml_util.hpp"

#include "core/error.hpp"

namespace lidardet::sim {

namespace {
std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

YAML::Node require(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& path) {
  if (!node.IsMap() || !node[key]) fail(file, 0, join(path, key), "missing (required)");
  return node[key];
}

double as_double(const YAML::Node& v, const std::string& file, const std::string& field) {
  try {
    return v.as<double>();
  } catch (const YAML::Exception&) {
    fail(file, v.Mark().line + 1, field, "expected a number");
  }
}
}  // namespace

YAML::Node load_yaml_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    fail(path, 0, "", "cannot open the YAML file");
  } catch (const YAML::Exception& e) {
    fail(path, e.mark.line + 1, "", std::string("not valid YAML: ") + e.msg);
  }
}

YAML::Node yaml_map(const YAML::Node& node, const std::string& key, const std::string& file,
                    const std::string& path) {
  YAML::Node v = require(node, key, file, path);
  if (!v.IsMap()) fail(file, v.Mark().line + 1, join(path, key), "expected a map");
  return v;
}

double yaml_double(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& path) {
  return as_double(require(node, key, file, path), file, join(path, key));
}

double yaml_double_or(const YAML::Node& node, const std::string& key, double fallback,
                      const std::string& file, const std::string& path) {
  if (!node.IsMap() || !node[key]) return fallback;
  return as_double(node[key], file, join(path, key));
}

int yaml_int(const YAML::Node& node, const std::string& key, const std::string& file,
             const std::string& path) {
  YAML::Node v = require(node, key, file, path);
  try {
    return v.as<int>();
  } catch (const YAML::Exception&) {
    fail(file, v.Mark().line + 1, join(path, key), "expected an integer");
  }
}

std::string yaml_string(const YAML::Node& node, const std::string& key, const std::string& file,
                        const std::string& path) {
  YAML::Node v = require(node, key, file, path);
  if (!v.IsScalar()) fail(file, v.Mark().line + 1, join(path, key), "expected a string");
  return v.as<std::string>();
}

std::vector<double> yaml_doubles(const YAML::Node& node, const std::string& key,
                                 const std::string& file, const std::string& path,
                                 std::size_t expected) {
  YAML::Node v = require(node, key, file, path);
  const std::string field = join(path, key);
  if (!v.IsSequence()) fail(file, v.Mark().line + 1, field, "expected a list of numbers");
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(as_double(v[i], file, field + "[" + std::to_string(i) + "]"));
  if (expected && out.size() != expected)
    fail(file, v.Mark().line + 1, field,
         "expected " + std::to_string(expected) + " numbers, got " + std::to_string(out.size()));
  return out;
}

}  // namespace lidardet::sim
