#include "voxel/radix_sort.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include "voxel/parallel.hpp"

namespace lidardet {

int bits_for(std::uint64_t max_key) {
  int b = 0;
  while (b < 64 && (max_key >> b) != 0) ++b;
  return b;
}

namespace {
constexpr int kDigitBits = 8;
constexpr int kBuckets = 1 << kDigitBits;
}  // namespace

void radix_sort_pairs(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& values,
                      int key_bits, int threads) {
  RadixScratch scratch;
  radix_sort_pairs(keys, values, key_bits, threads, scratch);
}

void radix_sort_pairs(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& values,
                      int key_bits, int threads, RadixScratch& scratch) {
  const std::size_t n = keys.size();
  if (values.size() != n) throw std::invalid_argument("radix_sort_pairs: keys/values differ");
  if (n < 2) return;
  std::vector<std::uint64_t>& keys_tmp = scratch.keys;
  std::vector<std::uint32_t>& values_tmp = scratch.values;
  keys_tmp.resize(n);
  values_tmp.resize(n);
  const int chunks = chunk_count(n, threads, 16384);
  std::vector<std::array<std::size_t, kBuckets>> hist(chunks);
  for (int shift = 0; shift < key_bits; shift += kDigitBits) {
    const std::uint64_t* src_k = keys.data();
    const std::uint32_t* src_v = values.data();
    parallel_chunks(n, chunks, [&](std::size_t b, std::size_t e, int c) {
      auto& h = hist[c];
      h.fill(0);
      for (std::size_t i = b; i < e; ++i) ++h[(src_k[i] >> shift) & (kBuckets - 1)];
    });
    // Skip a pass where every key has the same digit (common for the high digits).
    bool trivial = false;
    for (int d = 0; d < kBuckets && !trivial; ++d) {
      std::size_t total = 0;
      for (int c = 0; c < chunks; ++c) total += hist[c][d];
      if (total == n) trivial = true;
      if (total != 0) break;
    }
    if (trivial) continue;
    // Exclusive offsets: digit-major, then chunk order, which keeps the sort stable.
    std::size_t run = 0;
    for (int d = 0; d < kBuckets; ++d)
      for (int c = 0; c < chunks; ++c) {
        const std::size_t cnt = hist[c][d];
        hist[c][d] = run;
        run += cnt;
      }
    std::uint64_t* dst_k = keys_tmp.data();
    std::uint32_t* dst_v = values_tmp.data();
    parallel_chunks(n, chunks, [&](std::size_t b, std::size_t e, int c) {
      auto& off = hist[c];
      for (std::size_t i = b; i < e; ++i) {
        const std::size_t pos = off[(src_k[i] >> shift) & (kBuckets - 1)]++;
        dst_k[pos] = src_k[i];
        dst_v[pos] = src_v[i];
      }
    });
    keys.swap(keys_tmp);
    values.swap(values_tmp);
  }
}

void radix_sort_words(std::vector<std::uint64_t>& words, int lo_bit, int hi_bit,
                      std::vector<std::uint64_t>& scratch) {
  const std::size_t n = words.size();
  if (n < 2 || hi_bit <= lo_bit) return;
  if (lo_bit < 0 || hi_bit > 64) throw std::invalid_argument("radix_sort_words: bad bit range");
  if (n > 0xffffffffu) throw std::invalid_argument("radix_sort_words: more than 2^32 words");
  constexpr int kMaxDigit = 12;
  const int bits = hi_bit - lo_bit;
  const int passes = (bits + kMaxDigit - 1) / kMaxDigit;
  const int digit = (bits + passes - 1) / passes;  // even widths: 22 bits -> 11 + 11
  const std::uint64_t mask = (std::uint64_t(1) << digit) - 1;
  // Counts of every pass from one read of the input.
  std::vector<std::uint32_t> hist(std::size_t(passes) << digit, 0);
  std::uint32_t* h = hist.data();
  const std::uint64_t* w = words.data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t x = w[i] >> lo_bit;
    for (int p = 0; p < passes; ++p) ++h[(std::size_t(p) << digit) + ((x >> (p * digit)) & mask)];
  }
  scratch.resize(n);
  std::uint64_t* src = words.data();
  std::uint64_t* dst = scratch.data();
  for (int p = 0; p < passes; ++p) {
    std::uint32_t* off = h + (std::size_t(p) << digit);
    const int shift = lo_bit + p * digit;
    if (off[(src[0] >> shift) & mask] == n) continue;  // every word has this digit
    std::uint32_t run = 0;
    for (std::size_t d = 0; d <= mask; ++d) {
      const std::uint32_t c = off[d];
      off[d] = run;
      run += c;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t x = src[i];
      dst[off[(x >> shift) & mask]++] = x;
    }
    std::swap(src, dst);
  }
  if (src != words.data()) words.swap(scratch);
}

}  // namespace lidardet
