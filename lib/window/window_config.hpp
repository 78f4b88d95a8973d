// Window settings of the FlatFormer and LION sorters, from YAML.
#pragma once
#include <array>
#include <string>

namespace YAML {
class Node;
}

namespace lidardet {

// FlatFormer (flatformer.md §4.3-4.5): 2D windows over a pillar grid of X x Y cells.
struct FlatWindowConfig {
  std::array<int, 2> window{13, 13};  // wx, wy cells
  std::array<int, 2> grid{0, 0};      // X, Y cells of the sparse grid
  int group_size = 144;

  // Keys: WINDOW_SHAPE [wx, wy], SPARSE_SHAPE [X, Y] (or [X, Y, 1]), GROUP_SIZE.
  static FlatWindowConfig from_yaml(const YAML::Node& node, const std::string& file = "<yaml>");
  void validate(const std::string& file = "<config>") const;
};

// LION (lion.md §2.4): 3D windows over an X x Y x Z grid, one group size per layer.
struct LionWindowConfig {
  std::array<int, 3> window{13, 13, 32};  // wx, wy, wz (the config's (x, y, z) order)
  std::array<int, 3> grid{0, 0, 0};       // X, Y, Z cells of the current sparse tensor
  int group_size = 4096;
  bool shift = false;

  // Keys: WINDOW_SHAPE [wx, wy, wz], SPARSE_SHAPE [X, Y, Z], GROUP_SIZE, SHIFT (default false).
  static LionWindowConfig from_yaml(const YAML::Node& node, const std::string& file = "<yaml>");
  void validate(const std::string& file = "<config>") const;
};

}  // namespace lidardet
