// Window keys and maps on the device with CUB's radix sort. Keys are unique, so the permutation
// is the same as the CPU's whatever the sort does with ties (there are none).
#include <cub/cub.cuh>

#include "core/device.hpp"
#include "core/error.hpp"
#include "core/transfer.hpp"
#include "window_kernels.hpp"

namespace lidardet::cuda {
namespace {

constexpr int kThreads = 256;
inline unsigned blocks(std::size_t n) { return unsigned((n + kThreads - 1) / kThreads); }

template <class T>
void realloc_dev(T*& p, std::size_t count) {
  if (p) check(cudaFree(p), "cudaFree");
  p = nullptr;
  check(cudaMalloc(&p, (count ? count : 1) * sizeof(T)), "cudaMalloc (window sorter)");
}

__global__ void k_keys(std::uint32_t m, const std::int32_t* __restrict__ c, int use_flat,
                       FlatKeyParams fp, FlatOrder fo, LionKeyParams lp, LionDirection dir,
                       std::uint64_t* keys, std::uint32_t* iota) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= m) return;
  const std::int32_t* r = c + 4 * std::size_t(i);
  keys[i] = std::uint64_t(use_flat ? flat_key(r[0], r[2], r[3], fo, fp)
                                   : lion_key(r[0], r[1], r[2], r[3], dir, lp));
  iota[i] = i;
}

__global__ void k_inverse(std::uint32_t m, const std::uint32_t* perm, const std::uint64_t* sorted,
                          std::uint32_t* inverse, int* duplicate) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= m) return;
  inverse[perm[i]] = i;
  if (i > 0 && sorted[i] == sorted[i - 1]) *duplicate = 1;
}

__global__ void k_gather(std::uint32_t padded, const std::uint32_t* perm,
                         const std::uint32_t* flat2win, std::uint32_t* gather) {
  const std::uint32_t s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s < padded) gather[s] = perm[flat2win[s]];
}

__global__ void k_scatter(std::uint32_t m, const std::uint32_t* inverse,
                          const std::uint32_t* win2flat, std::uint32_t* scatter) {
  const std::uint32_t v = blockIdx.x * blockDim.x + threadIdx.x;
  if (v < m) scatter[v] = win2flat[inverse[v]];
}

}  // namespace

void reserve(WindowDeviceState& s, std::uint32_t m, std::uint32_t padded) {
  if (m > s.cap_m || !s.coords) {
    realloc_dev(s.coords, 4 * std::size_t(m));
    realloc_dev(s.win2flat, m), realloc_dev(s.keys, m), realloc_dev(s.sorted_keys, m);
    realloc_dev(s.iota, m), realloc_dev(s.perm, m), realloc_dev(s.inverse, m);
    realloc_dev(s.scatter, m);
    if (!s.duplicate) realloc_dev(s.duplicate, 1);
    std::size_t bytes = 0;
    check(cub::DeviceRadixSort::SortPairs(nullptr, bytes, s.keys, s.sorted_keys, s.iota, s.perm,
                                          int(m ? m : 1)),
          "cub sort size");
    if (s.temp) check(cudaFree(s.temp), "cudaFree");
    s.temp = nullptr;
    check(cudaMalloc(&s.temp, bytes ? bytes : 1), "cudaMalloc (cub)");
    s.temp_bytes = bytes;
    s.cap_m = m;
  }
  if (padded > s.cap_padded || !s.flat2win) {
    realloc_dev(s.flat2win, padded), realloc_dev(s.gather, padded);
    s.cap_padded = padded;
  }
  s.m = m, s.padded = padded;
  check(cudaMemset(s.duplicate, 0, sizeof(int)), "cudaMemset");
}

void run_window_order(WindowDeviceState& s, const FlatKeyParams* flat, FlatOrder flat_order,
                      const LionKeyParams* lion, LionDirection dir, int key_bits) {
  if (s.m == 0) return;
  const FlatKeyParams fp = flat ? *flat : FlatKeyParams{};
  const LionKeyParams lp = lion ? *lion : LionKeyParams{};
  k_keys<<<blocks(s.m), kThreads>>>(s.m, s.coords, flat != nullptr, fp, flat_order, lp, dir, s.keys,
                                    s.iota);
  std::size_t bytes = s.temp_bytes;
  check(cub::DeviceRadixSort::SortPairs(s.temp, bytes, s.keys, s.sorted_keys, s.iota, s.perm,
                                        int(s.m), 0, key_bits),
        "cub radix sort (window keys)");
  k_inverse<<<blocks(s.m), kThreads>>>(s.m, s.perm, s.sorted_keys, s.inverse, s.duplicate);
  if (s.padded) k_gather<<<blocks(s.padded), kThreads>>>(s.padded, s.perm, s.flat2win, s.gather);
  k_scatter<<<blocks(s.m), kThreads>>>(s.m, s.inverse, s.win2flat, s.scatter);
  check(cudaGetLastError(), "window kernels");
}

void finish_window_orders(WindowDeviceState& s) {
  check(cudaDeviceSynchronize(), "window sorter synchronize");
  if (download_value(s.duplicate, "download flag"))
    throw Error("window sorter: two voxels share a cell (duplicate coordinates)");
}

void release(WindowDeviceState& s) {
  void* ptrs[] = {s.coords, s.flat2win, s.win2flat, s.keys,    s.sorted_keys, s.iota,
                  s.perm,   s.inverse,  s.gather,   s.scatter, s.duplicate,   s.temp};
  for (void* p : ptrs)
    if (p) cudaFree(p);
  s = WindowDeviceState{};
}

}  // namespace lidardet::cuda
