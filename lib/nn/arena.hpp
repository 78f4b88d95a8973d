// Arena: bump allocation of tensors for one frame. reset() at the start of every frame makes the
// memory reusable; after the first frame (or the largest one) the arena holds one chunk large
// enough for a whole frame, so steady-state inference makes no system allocations.
// Tensors handed out keep their chunk alive (shared ownership), so a stale tensor is never a
// dangling pointer; its contents are simply overwritten by the next frame.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "nn/tensor.hpp"

namespace lidardet::nn {

class Arena {
 public:
  using AllocFn = void* (*)(std::size_t bytes);
  using FreeFn = void (*)(void*);

  // Host arena (64-byte aligned chunks).
  Arena();
  // Arena over another device's allocator (the CUDA backend passes cudaMalloc/cudaFree).
  Arena(Device device, AllocFn alloc, FreeFn free);

  Tensor alloc(const Shape& shape, DType dtype = DType::F32);
  // Makes all memory reusable; merges the chunks of the last frame into one.
  void reset();

  std::size_t capacity() const;  // bytes held
  std::size_t used() const { return used_total_; }
  std::size_t system_allocations() const { return system_allocations_; }
  Device device() const { return device_; }

 private:
  std::shared_ptr<Storage> new_chunk(std::size_t bytes);

  Device device_;
  AllocFn alloc_;
  FreeFn free_;
  std::vector<std::shared_ptr<Storage>> chunks_;
  std::size_t offset_ = 0;      // in the last chunk
  std::size_t used_total_ = 0;  // this frame
  std::size_t system_allocations_ = 0;
};

}  // namespace lidardet::nn
