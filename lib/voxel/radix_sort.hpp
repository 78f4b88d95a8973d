// Stable LSD radix sort of (64-bit key, 32-bit value) pairs, used by the voxelizer and the window
// sorter. Stability makes equal keys keep their input order, which the voxelizer relies on for
// "first come in point order".
#pragma once
#include <cstdint>
#include <vector>

namespace lidardet {

// Number of bits needed to hold every value in [0, max_key].
int bits_for(std::uint64_t max_key);

// Sorts keys ascending, carrying values along, looking only at the low `key_bits` bits (keys
// must fit in them). Passes whose digit is the same for every key are skipped. With threads > 1
// each pass histograms and scatters fixed chunks in parallel; the output is identical.
void radix_sort_pairs(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& values,
                      int key_bits, int threads = 1);

// The same with caller-owned scratch buffers, so that repeated sorts (one per frame) do not
// allocate: fresh pages cost more than the sort itself on a loaded machine.
struct RadixScratch {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> values;
};
void radix_sort_pairs(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& values,
                      int key_bits, int threads, RadixScratch& scratch);

}  // namespace lidardet
