#include "voxel/voxel_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "core/error.hpp"

namespace lidardet {
namespace {

template <std::size_t N>
std::array<float, N> read_floats(const YAML::Node& node, const char* key, const std::string& file) {
  const YAML::Node v = node[key];
  if (!v) fail(file, 0, key, "missing (expected a list of " + std::to_string(N) + " numbers)");
  if (!v.IsSequence() || v.size() != N)
    fail(file, v.Mark().line + 1, key, "expected a list of " + std::to_string(N) + " numbers");
  std::array<float, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    try {
      out[i] = v[i].as<float>();
    } catch (const YAML::Exception&) {
      fail(file, v.Mark().line + 1, key, "element " + std::to_string(i) + " is not a number");
    }
    if (!std::isfinite(out[i]))
      fail(file, v.Mark().line + 1, key, "element " + std::to_string(i) + " is not finite");
  }
  return out;
}

template <class T>
T read_opt(const YAML::Node& node, const char* key, T fallback, const std::string& file) {
  const YAML::Node v = node[key];
  if (!v) return fallback;
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    fail(file, v.Mark().line + 1, key, "has the wrong type");
  }
}

// MAX_NUMBER_OF_VOXELS may be a number or {train: N, test: M}; inference uses `test`.
int read_phase_int(const YAML::Node& node, const char* key, const std::string& file) {
  const YAML::Node v = node[key];
  if (!v) return 0;
  if (v.IsMap()) {
    if (!v["test"]) fail(file, v.Mark().line + 1, key, "a map must hold a 'test' entry");
    return read_opt<int>(v, "test", 0, file);
  }
  return read_opt<int>(node, key, 0, file);
}

}  // namespace

VoxelizerConfig VoxelizerConfig::from_yaml(const YAML::Node& node, const std::string& file) {
  if (!node || !node.IsMap()) fail(file, 0, "", "voxelizer config must be a YAML map");
  VoxelizerConfig c;
  c.range = read_floats<6>(node, "POINT_CLOUD_RANGE", file);
  c.voxel_size = read_floats<3>(node, "VOXEL_SIZE", file);
  const std::string rule = read_opt<std::string>(node, "RANGE_RULE", "grid", file);
  if (rule == "grid")
    c.rule = RangeRule::kGrid;
  else if (rule == "strict_clamp")
    c.rule = RangeRule::kStrictClamp;
  else
    fail(file, node["RANGE_RULE"].Mark().line + 1, "RANGE_RULE",
         "'" + rule + "' (expected grid or strict_clamp)");
  c.filter_range = node["FILTER_RANGE"] ? read_floats<6>(node, "FILTER_RANGE", file) : c.range;
  const std::string order = read_opt<std::string>(node, "VOXEL_ORDER", "xyz", file);
  if (order == "xyz")
    c.order = VoxelOrder::kXYZ;
  else if (order == "zyx")
    c.order = VoxelOrder::kZYX;
  else
    fail(file, node["VOXEL_ORDER"].Mark().line + 1, "VOXEL_ORDER",
         "'" + order + "' (expected xyz or zyx)");
  // OpenPCDet spells it USE_ABSLOTE_XYZ; accept the correct spelling too.
  c.use_absolute_xyz = read_opt<bool>(node, "USE_ABSLOTE_XYZ",
                                      read_opt<bool>(node, "USE_ABSOLUTE_XYZ", true, file), file);
  c.with_distance = read_opt<bool>(node, "WITH_DISTANCE", false, file);
  c.with_cluster_center = read_opt<bool>(node, "WITH_CLUSTER_CENTER", true, file);
  c.with_voxel_center = read_opt<bool>(node, "WITH_VOXEL_CENTER", true, file);
  if (node["TANH_CHANNELS"])
    c.tanh_channels = read_opt<std::vector<std::string>>(node, "TANH_CHANNELS", {}, file);
  c.max_points_per_voxel = read_opt<int>(node, "MAX_POINTS_PER_VOXEL", 0, file);
  c.max_voxels = read_phase_int(node, "MAX_NUMBER_OF_VOXELS", file);
  c.finalize(file);
  return c;
}

VoxelizerConfig VoxelizerConfig::from_model_yaml(const YAML::Node& root, const std::string& file) {
  const YAML::Node data = root["DATA_CONFIG"];
  if (!data) fail(file, 0, "DATA_CONFIG", "missing");
  YAML::Node flat(YAML::NodeType::Map);
  if (!data["POINT_CLOUD_RANGE"]) fail(file, 0, "DATA_CONFIG.POINT_CLOUD_RANGE", "missing");
  flat["POINT_CLOUD_RANGE"] = data["POINT_CLOUD_RANGE"];
  bool found = false;
  if (const YAML::Node procs = data["DATA_PROCESSOR"]; procs && procs.IsSequence()) {
    for (const auto& p : procs) {
      const std::string name = p["NAME"] ? p["NAME"].as<std::string>() : "";
      if (name.rfind("transform_points_to_voxels", 0) != 0) continue;
      for (const char* k : {"VOXEL_SIZE", "MAX_POINTS_PER_VOXEL", "MAX_NUMBER_OF_VOXELS"})
        if (p[k]) flat[k] = p[k];
      found = true;
    }
  }
  if (!found || !flat["VOXEL_SIZE"])
    fail(file, 0, "DATA_CONFIG.DATA_PROCESSOR",
         "no transform_points_to_voxels entry with VOXEL_SIZE");
  if (const YAML::Node vfe = root["MODEL"]["VFE"]; vfe && vfe.IsMap())
    for (const auto& kv : vfe) {
      const std::string k = kv.first.as<std::string>();
      if (k != "NAME" && k != "NUM_FILTERS" && k != "BN_EPS" && k != "USE_NORM")
        flat[k] = kv.second;
    }
  if (const YAML::Node v = data["VOXELIZER"]; v && v.IsMap())  // lidardet-only extras
    for (const auto& kv : v) flat[kv.first.as<std::string>()] = kv.second;
  return from_yaml(flat, file);
}

VoxelizerConfig VoxelizerConfig::from_model_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail(path, e.mark.line + 1, "", std::string("cannot parse YAML: ") + e.what());
  }
  return from_model_yaml(root, path);
}

void VoxelizerConfig::finalize(const std::string& file) {
  for (int a = 0; a < 3; ++a) {
    const char* axis = a == 0 ? "x" : a == 1 ? "y" : "z";
    if (!(voxel_size[a] > 0))
      fail(file, 0, "VOXEL_SIZE", std::string(axis) + " size must be positive");
    if (!(range[a + 3] > range[a]))
      fail(file, 0, "POINT_CLOUD_RANGE", std::string(axis) + " max must exceed min");
    const double cells = std::round((double(range[a + 3]) - range[a]) / voxel_size[a]);
    if (cells < 1 || cells > (1 << 24))
      fail(file, 0, "VOXEL_SIZE",
           std::string(axis) + " gives " + std::to_string(cells) + " cells (expected 1 .. 2^24)");
    grid[a] = static_cast<int>(cells);
  }
  if (cells() > (std::uint64_t(1) << 40))
    fail(file, 0, "VOXEL_SIZE", "grid has more than 2^40 cells");
  if (max_points_per_voxel < 0) fail(file, 0, "MAX_POINTS_PER_VOXEL", "must be >= 0");
  if (max_voxels < 0) fail(file, 0, "MAX_NUMBER_OF_VOXELS", "must be >= 0");
}

}  // namespace lidardet
