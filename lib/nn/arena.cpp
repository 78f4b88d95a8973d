#include "nn/arena.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace lidardet::nn {

namespace {
constexpr std::size_t kAlign = 64;
constexpr std::size_t kMinChunk = 1 << 20;
std::size_t round_up(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
void* host_alloc(std::size_t bytes) { return std::aligned_alloc(kAlign, round_up(bytes)); }
void host_free(void* p) { std::free(p); }
}  // namespace

Arena::Arena() : Arena(Device::Host, host_alloc, host_free) {}

Arena::Arena(Device device, AllocFn alloc, FreeFn free)
    : device_(device), alloc_(alloc), free_(free) {}

std::shared_ptr<Storage> Arena::new_chunk(std::size_t bytes) {
  auto st = std::make_shared<Storage>();
  st->bytes = round_up(std::max(bytes, kMinChunk));
  st->data = alloc_(st->bytes);
  if (!st->data) throw Error("nn::Arena: out of memory allocating " + std::to_string(st->bytes));
  st->device = device_;
  st->deleter = free_;
  ++system_allocations_;
  return st;
}

Tensor Arena::alloc(const Shape& shape, DType dtype) {
  std::size_t bytes = round_up(std::max<std::size_t>(1, shape_numel(shape) * dtype_size(dtype)));
  if (chunks_.empty() || offset_ + bytes > chunks_.back()->bytes) {
    std::size_t last = chunks_.empty() ? 0 : chunks_.back()->bytes;
    chunks_.push_back(new_chunk(std::max(bytes, 2 * last)));
    offset_ = 0;
  }
  Tensor t = Tensor::over(chunks_.back(), offset_, shape, dtype);
  offset_ += bytes;
  used_total_ += bytes;
  return t;
}

void Arena::reset() {
  if (chunks_.size() > 1) {
    std::size_t total = 0;
    for (auto& c : chunks_) total += c->bytes;
    chunks_.clear();
    chunks_.push_back(new_chunk(total));
  }
  offset_ = 0;
  used_total_ = 0;
}

std::size_t Arena::capacity() const {
  std::size_t total = 0;
  for (auto& c : chunks_) total += c->bytes;
  return total;
}

}  // namespace lidardet::nn
