#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "window/window_keys.hpp"

using namespace lidardet;

namespace {
FlatWindowConfig waymo_flat() {
  return FlatWindowConfig::from_yaml(
      YAML::Load("WINDOW_SHAPE: [13, 13]\nSPARSE_SHAPE: [468, 468, 1]\nGROUP_SIZE: 144\n"));
}
}  // namespace

TEST(FlatKeys, WaymoConstants) {
  const FlatKeyParams p = flat_key_params(waymo_flat());
  EXPECT_EQ(p.n1, 74);  // 2 (ceil(468 / 13) + 1), flatformer.md §4.4
  EXPECT_EQ(p.n2, 26);
  EXPECT_EQ(p.batch_stride, 2190240);
}

// flatformer.md §4.4: the first 26 cells in "x" order are (0,0), (0,1) .. (0,12), (1,12) .. (1,0).
TEST(FlatKeys, XOrderStartsWithSnakeColumns) {
  const FlatKeyParams p = flat_key_params(waymo_flat());
  std::vector<std::pair<std::int64_t, std::pair<int, int>>> all;
  for (int y = 0; y < 468; ++y)
    for (int x = 0; x < 468; ++x) all.push_back({flat_key(0, y, x, FlatOrder::kX, p), {x, y}});
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 13; ++i) {
    EXPECT_EQ(all[i].second, std::make_pair(0, i));
    EXPECT_EQ(all[13 + i].second, std::make_pair(1, 12 - i));
  }
  // The 170th cell (index 169 = 13 * 13) starts window x1 = 1 at its corner (13, 0).
  EXPECT_EQ(all[169].second, std::make_pair(13, 0));
}

// Enumerating every cell: keys unique, non-negative, and the maxima of flatformer.md §4.4.
TEST(FlatKeys, UniqueOverWholeGridWithDocumentedMaxima) {
  const FlatKeyParams p = flat_key_params(waymo_flat());
  for (FlatOrder o : {FlatOrder::kX, FlatOrder::kXShift, FlatOrder::kY, FlatOrder::kYShift}) {
    std::vector<std::int64_t> keys;
    for (int y = 0; y < 468; ++y)
      for (int x = 0; x < 468; ++x) keys.push_back(flat_key(0, y, x, o, p));
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
    EXPECT_GE(keys.front(), 0);
    const bool shifted = o == FlatOrder::kXShift || o == FlatOrder::kYShift;
    EXPECT_EQ(keys.back(), shifted ? 1825330 : 1750840);
    EXPECT_LT(keys.back(), p.batch_stride);
  }
}

// "y" is the transpose of "x": key_y(x, y) == key_x with x and y exchanged.
TEST(FlatKeys, YOrderIsTransposeOfX) {
  const FlatKeyParams p = flat_key_params(waymo_flat());
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 60; ++x) {
      ASSERT_EQ(flat_key(2, y, x, FlatOrder::kY, p), flat_key(2, x, y, FlatOrder::kX, p));
      ASSERT_EQ(flat_key(0, y, x, FlatOrder::kYShift, p), flat_key(0, x, y, FlatOrder::kXShift, p));
    }
}

TEST(LionKeys, HandComputed) {
  LionWindowConfig c;
  c.window = {13, 13, 32};
  c.grid = {352, 400, 32};
  c.shift = true;
  const LionKeyParams p = lion_key_params(c);
  EXPECT_EQ(p.n[0], 29);  // ceil(352 / 13) + 1
  EXPECT_EQ(p.n[1], 32);  // ceil(400 / 13) + 1
  EXPECT_EQ(p.n[2], 2);
  EXPECT_EQ(p.s[2], 16);  // z is shifted too
  // Voxel (b=1, z=20, y=7, x=30): shifted (36, 13, 36) -> windows (2, 1, 1), in-window (10, 0, 4).
  const std::int64_t nwin = 29 * 32 * 2, vol = 13 * 13 * 32;
  EXPECT_EQ(lion_key(1, 20, 7, 30, LionDirection::kX, p),
            (1 * nwin + 2 * 32 * 2 + 1 * 2 + 1) * vol + 10 * (13 * 32) + 0 * 32 + 4);
  EXPECT_EQ(lion_key(1, 20, 7, 30, LionDirection::kY, p),
            (1 * nwin + 1 * 29 * 2 + 2 * 2 + 1) * vol + 0 * (13 * 32) + 10 * 32 + 4);
  c.shift = false;
  EXPECT_EQ(lion_key(0, 0, 0, 14, LionDirection::kX, lion_key_params(c)),
            (1 * 32 * 2) * vol + 1 * (13 * 32));
}

TEST(LionKeys, UniqueOverGrid) {
  LionWindowConfig c;
  c.window = {5, 7, 4};
  c.grid = {23, 19, 8};
  for (bool shift : {false, true}) {
    c.shift = shift;
    const LionKeyParams p = lion_key_params(c);
    for (LionDirection d : {LionDirection::kX, LionDirection::kY}) {
      std::set<std::int64_t> keys;
      for (int b = 0; b < 2; ++b)
        for (int z = 0; z < 8; ++z)
          for (int y = 0; y < 19; ++y)
            for (int x = 0; x < 23; ++x) keys.insert(lion_key(b, z, y, x, d, p));
      EXPECT_EQ(keys.size(), 2u * 8 * 19 * 23);
    }
  }
}

TEST(WindowConfig, YamlErrorsNameKeys) {
  try {
    FlatWindowConfig::from_yaml(YAML::Load("WINDOW_SHAPE: [13, 13]\nGROUP_SIZE: 144\n"), "f.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("SPARSE_SHAPE"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LionWindowConfig::from_yaml(
                   YAML::Load("WINDOW_SHAPE: [13, 13]\nSPARSE_SHAPE: [1, 1, 1]\nGROUP_SIZE: 4\n")),
               Error);
  const auto l = LionWindowConfig::from_yaml(YAML::Load(
      "WINDOW_SHAPE: [13, 13, 32]\nSPARSE_SHAPE: [472, 472, 32]\nGROUP_SIZE: 4096\nSHIFT: true\n"));
  EXPECT_TRUE(l.shift);
  EXPECT_EQ(l.group_size, 4096);
}
