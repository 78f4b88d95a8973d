#include "cuda_window_sorter.hpp"

#include <cuda_runtime.h>

#include "core/device.hpp"
#include "core/error.hpp"
#include "core/transfer.hpp"
#include "voxel/radix_sort.hpp"
#include "window_kernels.hpp"

namespace lidardet::cuda {
namespace {

// Bits covering every key of a batch: the key of the largest cell of the last sample + 1.
int flat_bits(const FlatKeyParams& p, int batch) {
  return bits_for(std::uint64_t(std::max(batch, 1)) * std::uint64_t(p.batch_stride));
}
int lion_bits(const LionKeyParams& p, int batch) {
  const std::uint64_t nwin = std::uint64_t(p.n[0]) * p.n[1] * p.n[2];
  const std::uint64_t vol = std::uint64_t(p.w[0]) * p.w[1] * p.w[2];
  return bits_for(std::uint64_t(std::max(batch, 1)) * nwin * vol);
}

}  // namespace

CudaWindowSorter::CudaWindowSorter() : s_(std::make_unique<WindowDeviceState>()) {}
CudaWindowSorter::~CudaWindowSorter() { release(*s_); }

void CudaWindowSorter::upload(const std::vector<std::int32_t>& coords, int batch_size,
                              int group_size) {
  if (coords.size() % 4) throw Error("CudaWindowSorter: coords are not (b, z, y, x) rows");
  coords_ = coords;
  batch_size_ = batch_size;
  mapping_ = group_mapping(sample_counts(coords, batch_size), group_size);
  reserve(*s_, std::uint32_t(coords.size() / 4), std::uint32_t(mapping_.num_padded()));
  upload_vec(s_->coords, coords);
  upload_vec(s_->flat2win, mapping_.flat2win);
  upload_vec(s_->win2flat, mapping_.win2flat);
}

void CudaWindowSorter::run_flatformer(const FlatWindowConfig& config) {
  const FlatKeyParams p = flat_key_params(config);
  for (int k = 0; k < 4; ++k)
    run_window_order(*s_, &p, FlatOrder(k), nullptr, LionDirection::kX, flat_bits(p, batch_size_));
  finish_window_orders(*s_);
}

void CudaWindowSorter::run_lion(const LionWindowConfig& config) {
  const LionKeyParams p = lion_key_params(config);
  for (int k = 0; k < 2; ++k)
    run_window_order(*s_, nullptr, FlatOrder::kX, &p, LionDirection(k), lion_bits(p, batch_size_));
  finish_window_orders(*s_);
}

WindowOrder CudaWindowSorter::download_order() const {
  WindowOrder o;
  o.keys = download(s_->keys, s_->m);
  o.perm = download(s_->perm, s_->m);
  o.inverse = download(s_->inverse, s_->m);
  o.gather = download(s_->gather, s_->padded);
  o.scatter = download(s_->scatter, s_->m);
  return o;
}

FlatFormerOrders CudaWindowSorter::flatformer(const FlatWindowConfig& config) {
  if (config.group_size != mapping_.group_size)
    throw Error("CudaWindowSorter: uploaded for another group size");
  const FlatKeyParams p = flat_key_params(config);
  FlatFormerOrders out;
  out.mapping = mapping_;
  for (int k = 0; k < 4; ++k) {
    run_window_order(*s_, &p, FlatOrder(k), nullptr, LionDirection::kX, flat_bits(p, batch_size_));
    finish_window_orders(*s_);
    out.orders[k] = download_order();
  }
  return out;
}

LionOrders CudaWindowSorter::lion(const LionWindowConfig& config) {
  if (config.group_size != mapping_.group_size)
    throw Error("CudaWindowSorter: uploaded for another group size");
  const LionKeyParams p = lion_key_params(config);
  LionOrders out;
  out.mapping = mapping_;
  for (int k = 0; k < 2; ++k) {
    run_window_order(*s_, nullptr, FlatOrder::kX, &p, LionDirection(k), lion_bits(p, batch_size_));
    finish_window_orders(*s_);
    out.orders[k] = download_order();
  }
  return out;
}

}  // namespace lidardet::cuda
