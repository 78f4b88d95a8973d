// Window orders of a set of voxels: keys, the sorting permutation, its inverse and the fused
// gather/scatter maps through the group padding. Input voxel coordinates are (b, z, y, x) rows
// in any order; samples 0 .. batch_size - 1 may hold any number of voxels, including none.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "voxel/radix_sort.hpp"
#include "window/group_mapping.hpp"
#include "window/window_keys.hpp"

namespace lidardet {

struct WindowOrder {
  std::vector<std::uint64_t> keys;     // M: key of each voxel (input order)
  std::vector<std::uint32_t> perm;     // M: sorted position -> voxel
  std::vector<std::uint32_t> inverse;  // M: voxel -> sorted position
  std::vector<std::uint32_t> gather;   // P: padded slot -> voxel (perm[flat2win])
  std::vector<std::uint32_t> scatter;  // M: voxel -> its own padded slot (win2flat[inverse])
};

// Voxels per sample; throws when a batch index is outside [0, batch_size).
std::vector<std::uint32_t> sample_counts(const std::vector<std::int32_t>& coords, int batch_size);

// Sorts keys (unique per voxel) and fills perm, inverse, gather and scatter. On one thread by
// default: the sorter is called per layer inside an already parallel pipeline. On one thread
// with keys below 2^32 each voxel's key and index travel as one 64-bit word (11-bit digits).
void finish_order(WindowOrder& order, int key_bits, const GroupMapping& mapping, int threads = 1);

// Scratch reused between frames by the *_into functions (fresh pages cost more than sorting).
struct WindowScratch {
  std::vector<std::uint64_t> sorted;
  RadixScratch radix;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint64_t> words, word_scratch;  // key << 32 | voxel, for 32-bit keys
  std::vector<std::int32_t> win, off;              // per-cell window index and offset tables
};
void finish_order(WindowOrder& order, int key_bits, const GroupMapping& mapping, int threads,
                  WindowScratch& scratch);

struct FlatFormerOrders {
  GroupMapping mapping;               // shared by the four orders
  std::array<WindowOrder, 4> orders;  // indexed by FlatOrder: x, x_shift, y, y_shift
};
FlatFormerOrders flatformer_orders(const std::vector<std::int32_t>& coords, int batch_size,
                                   const FlatWindowConfig& config, int threads = 1);
// The same into `out`, reusing its memory and the scratch's.
void flatformer_orders_into(FlatFormerOrders& out, WindowScratch& scratch,
                            const std::vector<std::int32_t>& coords, int batch_size,
                            const FlatWindowConfig& config, int threads = 1);

struct LionOrders {
  GroupMapping mapping;               // shared by both directions
  std::array<WindowOrder, 2> orders;  // indexed by LionDirection: x, y
};
LionOrders lion_orders(const std::vector<std::int32_t>& coords, int batch_size,
                       const LionWindowConfig& config, int threads = 1);
void lion_orders_into(LionOrders& out, WindowScratch& scratch,
                      const std::vector<std::int32_t>& coords, int batch_size,
                      const LionWindowConfig& config, int threads = 1);

}  // namespace lidardet
