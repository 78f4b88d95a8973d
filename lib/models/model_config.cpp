#include "models/model_config.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace lidardet {

namespace fs = std::filesystem;

namespace {
// Deep-merges `over` onto a clone of `base`: maps merge key by key, anything else replaces.
YAML::Node merge(const YAML::Node& base, const YAML::Node& over) {
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : over) {
    const std::string key = kv.first.as<std::string>();
    out[key] = out[key] ? merge(out[key], kv.second) : YAML::Clone(kv.second);
  }
  return out;
}

fs::path resolve_base(const std::string& base, const fs::path& from_dir, const std::string& file) {
  const fs::path b(base);
  if (b.is_absolute()) {
    if (fs::exists(b)) return b;
  } else {
    for (fs::path d = from_dir; !d.empty(); d = d.parent_path()) {
      if (fs::exists(d / b)) return d / b;
      if (d == d.parent_path()) break;
    }
  }
  throw Error(file + ": _BASE_CONFIG_ '" + base + "' not found next to the file or above it");
}

YAML::Node load_resolved(const fs::path& path, int depth);

// Replaces every `_BASE_CONFIG_` in the tree by the merged contents of the file it names.
YAML::Node resolve(const YAML::Node& node, const fs::path& dir, const std::string& file,
                   int depth) {
  if (!node.IsMap()) return node;
  const YAML::Node base =
      node["_BASE_CONFIG_"]
          ? load_resolved(resolve_base(node["_BASE_CONFIG_"].as<std::string>(), dir, file),
                          depth + 1)
          : YAML::Node(YAML::NodeType::Map);
  YAML::Node own(YAML::NodeType::Map);
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "_BASE_CONFIG_") own[key] = resolve(kv.second, dir, file, depth);
  }
  return merge(base, own);
}

YAML::Node load_resolved(const fs::path& path, int depth) {
  if (depth > 16) throw Error(path.string() + ": _BASE_CONFIG_ chain deeper than 16 (a cycle?)");
  YAML::Node raw;
  try {
    raw = YAML::LoadFile(path.string());
  } catch (const YAML::BadFile&) {
    throw Error(path.string() + ": cannot open config file");
  } catch (const YAML::Exception& e) {
    throw Error(path.string() + ":" + std::to_string(e.mark.line + 1) + ": YAML error: " + e.msg);
  }
  return resolve(raw, path.parent_path(), path.string(), depth);
}
}  // namespace

ModelConfig load_model_config(const std::string& path) {
  ModelConfig c;
  c.path = path;
  c.root = load_resolved(fs::path(path), 0);
  if (!c.root.IsMap()) throw Error(path + ": a config must be a YAML map");
  return c;
}

ModelConfig parse_model_config(const std::string& text, const std::string& name) {
  ModelConfig c;
  c.path = name;
  try {
    c.root = resolve(YAML::Load(text), fs::current_path(), name, 0);
  } catch (const YAML::Exception& e) {
    throw Error(name + ":" + std::to_string(e.mark.line + 1) + ": YAML error: " + e.msg);
  }
  if (!c.root.IsMap()) throw Error(name + ": a config must be a YAML map");
  return c;
}

YAML::Node ModelConfig::find(const std::string& dotted) const {
  YAML::Node n;
  n.reset(root);  // reset() rebinds; operator= would overwrite the node's content
  std::size_t pos = 0;
  while (pos <= dotted.size()) {
    std::size_t end = dotted.find('.', pos);
    if (end == std::string::npos) end = dotted.size();
    const std::string key = dotted.substr(pos, end - pos);
    const YAML::Node& cur = n;  // const access never inserts keys
    if (!cur.IsMap() || !cur[key]) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node child = cur[key];
    n.reset(child);
    pos = end + 1;
  }
  return n;
}

YAML::Node ModelConfig::require(const std::string& dotted) const {
  YAML::Node n = find(dotted);
  if (!n.IsDefined() || n.IsNull()) throw Error(path + ": missing key " + dotted);
  return n;
}

template <typename T>
T ModelConfig::as(const YAML::Node& node, const std::string& dotted) const {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw Error(path + ":" + std::to_string(node.Mark().line + 1) + ": key " + dotted +
                ": value has the wrong type");
  }
}
template double ModelConfig::as<double>(const YAML::Node&, const std::string&) const;
template int ModelConfig::as<int>(const YAML::Node&, const std::string&) const;
template bool ModelConfig::as<bool>(const YAML::Node&, const std::string&) const;
template std::string ModelConfig::as<std::string>(const YAML::Node&, const std::string&) const;
template std::vector<int> ModelConfig::as<std::vector<int>>(const YAML::Node&,
                                                            const std::string&) const;

double ModelConfig::get_double(const std::string& k) const { return as<double>(require(k), k); }
int ModelConfig::get_int(const std::string& k) const { return as<int>(require(k), k); }
std::string ModelConfig::get_string(const std::string& k) const {
  return as<std::string>(require(k), k);
}

std::vector<double> ModelConfig::get_doubles(const std::string& k, std::size_t expected) const {
  const YAML::Node n = require(k);
  if (!n.IsSequence()) throw Error(path + ": key " + k + ": expected a list of numbers");
  std::vector<double> out;
  for (const auto& v : n) out.push_back(as<double>(v, k));
  if (expected && out.size() != expected)
    throw Error(path + ": key " + k + ": expected " + std::to_string(expected) + " numbers, got " +
                std::to_string(out.size()));
  return out;
}

std::vector<std::string> ModelConfig::get_strings(const std::string& k) const {
  const YAML::Node n = require(k);
  if (!n.IsSequence()) throw Error(path + ": key " + k + ": expected a list of strings");
  std::vector<std::string> out;
  for (const auto& v : n) out.push_back(as<std::string>(v, k));
  return out;
}

}  // namespace lidardet
