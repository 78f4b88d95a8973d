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

// One thread, stable: sorts 64-bit words ascending by their bits [lo_bit, hi_bit) only. Meant
// for a key packed above a 32-bit index (key << 32 | index), so that each pass moves 8 bytes
// instead of 12 and the index needs no separate array. Digits of at most 12 bits (a 4096-entry
// histogram stays in L1), all histograms counted in one read; passes where every word has the
// same digit are skipped. `scratch` is resized to words.size(); the result is in `words`.
void radix_sort_words(std::vector<std::uint64_t>& words, int lo_bit, int hi_bit,
                      std::vector<std::uint64_t>& scratch);

}  // namespace lidardet
