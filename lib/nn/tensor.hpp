// Tensor: a typed, strided view of memory on the host or on a CUDA device. Tensors never copy
// behind your back: views share storage, and moving data between devices is an explicit
// Backend call. Storage comes either from the heap (Tensor::empty) or from an Arena.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lidardet::nn {

enum class DType { F32, I32, I64 };
enum class Device { Host, Cuda };

std::size_t dtype_size(DType t);
const char* dtype_name(DType t);

using Shape = std::vector<int64_t>;
std::string shape_string(const Shape& s);  // "[2, 3]"
int64_t shape_numel(const Shape& s);

// A block of memory. Owns it when `deleter` is set (heap or cudaMalloc), borrows it otherwise
// (arena chunks, caller memory).
struct Storage {
  void* data = nullptr;
  std::size_t bytes = 0;
  Device device = Device::Host;
  void (*deleter)(void*) = nullptr;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
};

class Tensor {
 public:
  Tensor() = default;

  // Fresh contiguous host tensor (zero-filled), owning its memory.
  static Tensor empty(const Shape& shape, DType dtype = DType::F32);
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values);
  static Tensor from_vector(const Shape& shape, const std::vector<int32_t>& values);
  // Wraps memory the caller keeps alive (no copy, no ownership).
  static Tensor wrap(void* data, const Shape& shape, DType dtype, Device device = Device::Host);
  // Contiguous tensor over a storage, starting at `byte_offset`.
  static Tensor over(std::shared_ptr<Storage> storage, std::size_t byte_offset, const Shape& shape,
                     DType dtype);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device : Device::Host; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }  // in elements
  int64_t dim(int i) const;                          // negative i counts from the end
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return shape_numel(shape_); }
  bool contiguous() const;
  // Rows of a 2-D tensor whose rows may be strided but whose columns are contiguous.
  bool row_major_2d() const { return rank() == 2 && strides_[1] == 1; }
  int64_t row_stride() const { return strides_.at(0); }

  // Host accessors: they throw lidardet::Error for a tensor in device memory, so that model code
  // can never read device memory by accident (bring it over with Backend::to_host or copy).
  void* raw() const;
  float* f32() const;
  int32_t* i32() const;
  int64_t* i64() const;
  // The first element's address in the tensor's own memory space, unchecked: for backends,
  // which hand device addresses to their kernels.
  void* data_ptr() const {
    return storage_ ? static_cast<char*>(storage_->data) + offset_ : nullptr;
  }
  // The same memory tagged as `device`, sharing ownership: for backends whose device memory the
  // host can address (a test backend that emulates a device on host memory).
  Tensor retagged(Device device) const;

  // Views sharing storage.
  Tensor reshape(const Shape& shape) const;                 // needs contiguous(); one dim may be -1
  Tensor slice(int dim, int64_t begin, int64_t end) const;  // [begin, end) along dim
  Tensor row(int64_t i) const { return slice(0, i, i + 1); }

  // Host-only helpers for tests and loading.
  std::vector<float> to_vector() const;
  void fill(float v) const;

 private:
  std::shared_ptr<Storage> storage_;
  std::size_t offset_ = 0;  // in bytes
  Shape shape_, strides_;
  DType dtype_ = DType::F32;
};

// Checks used by every op: throw lidardet::Error naming the op and the offending argument.
void expect_shape(const char* op, const char* arg, const Tensor& t, const Shape& shape);
void expect_rank(const char* op, const char* arg, const Tensor& t, int rank);
void expect_dtype(const char* op, const char* arg, const Tensor& t, DType dtype);

// How both backends walk a tensor as rows of its last dimension: contiguous of any rank, or
// 2-D with strided rows (a column slice). Throws lidardet::Error naming `op` and `arg` for
// anything else. A rank-0 tensor is one row of one column.
struct RowLayout {
  int64_t rows = 0, cols = 0, stride = 0;
};
RowLayout row_layout(const std::string& op, const char* arg, const Tensor& t);

}  // namespace lidardet::nn
