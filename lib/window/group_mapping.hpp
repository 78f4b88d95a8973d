// Equal-size groups over the sorted tokens of each sample (FlatFormer's FlattenedWindowMapping,
// shared by LION): each sample's sorted run is padded to a multiple of G and cut into groups of
// G; samples never share a group.
//
// Padding (LION §2.4, FlatFormer §4.5): in a sample with several groups, pad slot q copies the
// token at q - G (the same offset in the previous group), so the last group holds exactly the
// sample's last G tokens. A sample with fewer than G tokens (one group; the references read
// outside the sample there) repeats its own tokens cyclically: pad j copies token j mod n_b.
// An empty sample has no groups. `group_real` tells how many leading slots of each group are
// real tokens, for consumers that prefer to mask the copies.
#pragma once
#include <cstdint>
#include <vector>

namespace lidardet {

struct GroupMapping {
  int group_size = 0;
  std::vector<std::uint32_t> sorted_offsets;  // B + 1: sample b's sorted positions
  std::vector<std::uint32_t> padded_offsets;  // B + 1: sample b's padded slots
  std::vector<std::uint32_t> flat2win;        // P: padded slot -> sorted position
  std::vector<std::uint32_t> win2flat;        // M: sorted position -> padded slot
  std::vector<std::int32_t> group_sample;     // P / G: sample of each group
  std::vector<std::uint32_t> group_real;      // P / G: real tokens at the start of each group

  std::size_t num_padded() const { return flat2win.size(); }
  std::size_t num_groups() const { return group_sample.size(); }
};

// counts[b] = tokens of sample b (they sit contiguously, samples in order, in the sorted list).
GroupMapping group_mapping(const std::vector<std::uint32_t>& counts, int group_size);
// The same into `m`, reusing its memory.
void group_mapping_into(GroupMapping& m, const std::vector<std::uint32_t>& counts, int group_size);

}  // namespace lidardet
