#include "window/window_config.hpp"

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"

namespace lidardet {
namespace {

std::vector<int> read_ints(const YAML::Node& node, const char* key, std::size_t min_n,
                           std::size_t max_n, const std::string& file) {
  const YAML::Node v = node[key];
  if (!v) fail(file, 0, key, "missing");
  const std::string expect = "expected a list of " + std::to_string(min_n) +
                             (max_n != min_n ? " or " + std::to_string(max_n) : "") + " integers";
  if (!v.IsSequence() || v.size() < min_n || v.size() > max_n)
    fail(file, v.Mark().line + 1, key, expect);
  std::vector<int> out;
  for (const auto& e : v) {
    try {
      out.push_back(e.as<int>());
    } catch (const YAML::Exception&) {
      fail(file, v.Mark().line + 1, key, expect);
    }
  }
  return out;
}

int read_int(const YAML::Node& node, const char* key, const std::string& file) {
  const YAML::Node v = node[key];
  if (!v) fail(file, 0, key, "missing");
  try {
    return v.as<int>();
  } catch (const YAML::Exception&) {
    fail(file, v.Mark().line + 1, key, "expected an integer");
  }
}

}  // namespace

FlatWindowConfig FlatWindowConfig::from_yaml(const YAML::Node& node, const std::string& file) {
  if (!node || !node.IsMap()) fail(file, 0, "", "window config must be a YAML map");
  FlatWindowConfig c;
  const auto w = read_ints(node, "WINDOW_SHAPE", 2, 3, file);
  const auto s = read_ints(node, "SPARSE_SHAPE", 2, 3, file);
  c.window = {w[0], w[1]};
  c.grid = {s[0], s[1]};
  c.group_size = read_int(node, "GROUP_SIZE", file);
  c.validate(file);
  return c;
}

void FlatWindowConfig::validate(const std::string& file) const {
  for (int a = 0; a < 2; ++a) {
    if (window[a] < 1 || window[a] > 4096)
      fail(file, 0, "WINDOW_SHAPE", "entries must be in 1 .. 4096");
    if (grid[a] < 1 || grid[a] > (1 << 20))
      fail(file, 0, "SPARSE_SHAPE", "entries must be in 1 .. 2^20");
  }
  if (group_size < 1) fail(file, 0, "GROUP_SIZE", "must be positive");
}

LionWindowConfig LionWindowConfig::from_yaml(const YAML::Node& node, const std::string& file) {
  if (!node || !node.IsMap()) fail(file, 0, "", "window config must be a YAML map");
  LionWindowConfig c;
  const auto w = read_ints(node, "WINDOW_SHAPE", 3, 3, file);
  const auto s = read_ints(node, "SPARSE_SHAPE", 3, 3, file);
  c.window = {w[0], w[1], w[2]};
  c.grid = {s[0], s[1], s[2]};
  c.group_size = read_int(node, "GROUP_SIZE", file);
  if (node["SHIFT"]) {
    try {
      c.shift = node["SHIFT"].as<bool>();
    } catch (const YAML::Exception&) {
      fail(file, node["SHIFT"].Mark().line + 1, "SHIFT", "expected true or false");
    }
  }
  c.validate(file);
  return c;
}

void LionWindowConfig::validate(const std::string& file) const {
  for (int a = 0; a < 3; ++a) {
    if (window[a] < 1 || window[a] > 4096)
      fail(file, 0, "WINDOW_SHAPE", "entries must be in 1 .. 4096");
    if (grid[a] < 1 || grid[a] > (1 << 20))
      fail(file, 0, "SPARSE_SHAPE", "entries must be in 1 .. 2^20");
  }
  if (group_size < 1) fail(file, 0, "GROUP_SIZE", "must be positive");
}

}  // namespace lidardet
