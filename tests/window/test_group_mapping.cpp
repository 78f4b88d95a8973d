#include <gtest/gtest.h>

#include "core/error.hpp"
#include "window/group_mapping.hpp"

using namespace lidardet;
using V = std::vector<std::uint32_t>;

// One sample smaller than a group: its tokens repeat cyclically (LION single-group rule).
TEST(GroupMapping, SingleGroupRepeatsCyclically) {
  const GroupMapping m = group_mapping({3}, 8);
  EXPECT_EQ(m.flat2win, (V{0, 1, 2, 0, 1, 2, 0, 1}));
  EXPECT_EQ(m.win2flat, (V{0, 1, 2}));
  EXPECT_EQ(m.group_real, (V{3}));
}

// Several groups: a pad slot copies the slot one group earlier, so the last group is the
// sample's last G tokens as a set.
TEST(GroupMapping, LaterGroupsCopyThePreviousGroup) {
  const GroupMapping m = group_mapping({9}, 4);
  EXPECT_EQ(m.flat2win, (V{0, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7}));
  EXPECT_EQ(m.group_real, (V{4, 4, 1}));
  EXPECT_EQ(m.num_groups(), 3u);
}

TEST(GroupMapping, EmptySamplesExactFitsAndSampleBoundaries) {
  const GroupMapping m = group_mapping({0, 2, 4, 0, 5}, 4);
  EXPECT_EQ(m.sorted_offsets, (V{0, 0, 2, 6, 6, 11}));
  EXPECT_EQ(m.padded_offsets, (V{0, 0, 4, 8, 8, 16}));
  // sample 1: tokens 0,1 repeated; sample 2 fits exactly (2..5); sample 4: 6..10, then pads
  // copy slots 5, 6, 7 of its own first group -> tokens 7, 8, 9.
  EXPECT_EQ(m.flat2win, (V{0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 7, 8, 9}));
  EXPECT_EQ(m.win2flat, (V{0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(m.group_sample, (std::vector<std::int32_t>{1, 2, 4, 4}));
  EXPECT_EQ(m.group_real, (V{2, 4, 4, 1}));
}

TEST(GroupMapping, NoSamplesAndBadGroupSize) {
  const GroupMapping m = group_mapping({}, 4);
  EXPECT_EQ(m.num_padded(), 0u);
  EXPECT_EQ(m.sorted_offsets, (V{0}));
  EXPECT_THROW(group_mapping({1}, 0), Error);
}

// Every slot reads a token of its own sample, and win2flat sends each token to a slot that
// reads it back: flat2win[win2flat[t]] == t.
TEST(GroupMapping, RandomCountsInvariants) {
  std::vector<std::uint32_t> counts = {0, 1, 143, 144, 145, 287, 288, 1000, 0, 7};
  for (int g : {1, 7, 144, 256}) {
    const GroupMapping m = group_mapping(counts, g);
    ASSERT_EQ(m.num_padded() % g, 0u);
    for (std::size_t t = 0; t < m.win2flat.size(); ++t) ASSERT_EQ(m.flat2win[m.win2flat[t]], t);
    for (std::size_t q = 0; q < m.num_groups(); ++q) {
      const int b = m.group_sample[q];
      ASSERT_GT(counts[b], 0u);
      for (int j = 0; j < g; ++j) {
        const std::uint32_t tok = m.flat2win[q * g + j];
        ASSERT_GE(tok, m.sorted_offsets[b]);
        ASSERT_LT(tok, m.sorted_offsets[b + 1]);
      }
    }
  }
}
