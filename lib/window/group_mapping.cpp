#include "window/group_mapping.hpp"

#include "core/error.hpp"

namespace lidardet {

GroupMapping group_mapping(const std::vector<std::uint32_t>& counts, int group_size) {
  GroupMapping m;
  group_mapping_into(m, counts, group_size);
  return m;
}

void group_mapping_into(GroupMapping& m, const std::vector<std::uint32_t>& counts, int group_size) {
  if (group_size <= 0)
    throw Error("group_mapping: group size " + std::to_string(group_size) + " (expected > 0)");
  const std::uint64_t g = std::uint64_t(group_size);
  m.group_size = group_size;
  m.sorted_offsets.assign(counts.size() + 1, 0);
  m.padded_offsets.assign(counts.size() + 1, 0);
  for (std::size_t b = 0; b < counts.size(); ++b) {
    const std::uint64_t padded = (counts[b] + g - 1) / g * g;
    m.sorted_offsets[b + 1] = m.sorted_offsets[b] + counts[b];
    if (std::uint64_t(m.padded_offsets[b]) + padded > 0xffffffffu)
      throw Error("group_mapping: more than 2^32 padded tokens");
    m.padded_offsets[b + 1] = m.padded_offsets[b] + std::uint32_t(padded);
  }
  m.flat2win.resize(m.padded_offsets.back());
  m.win2flat.resize(m.sorted_offsets.back());
  m.group_sample.resize(m.padded_offsets.back() / g);
  m.group_real.resize(m.group_sample.size());
  for (std::size_t b = 0; b < counts.size(); ++b) {
    const std::uint32_t n = counts[b], s = m.sorted_offsets[b], p = m.padded_offsets[b];
    const std::uint32_t padded = m.padded_offsets[b + 1] - p;
    for (std::uint32_t t = 0; t < n; ++t) {
      m.flat2win[p + t] = s + t;
      m.win2flat[s + t] = p + t;
    }
    for (std::uint32_t t = n; t < padded; ++t)
      m.flat2win[p + t] = padded == g ? s + (t - n) % n : m.flat2win[p + t - group_size];
    for (std::uint32_t q = 0; q < padded / g; ++q) {
      m.group_sample[p / g + q] = std::int32_t(b);
      const std::uint64_t begin = q * g;
      m.group_real[p / g + q] = std::uint32_t(std::min<std::uint64_t>(g, n - begin));
    }
  }
}

}  // namespace lidardet
