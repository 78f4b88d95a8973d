#include "nn/tensor.hpp"

#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

namespace lidardet::nn {

std::size_t dtype_size(DType t) { return t == DType::I64 ? 8 : 4; }

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "f32";
    case DType::I32:
      return "i32";
    case DType::I64:
      return "i64";
  }
  return "?";
}

std::string shape_string(const Shape& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Storage::~Storage() {
  if (deleter && data) deleter(data);
}

static Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

static void check_shape(const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0) throw Error("nn::Tensor: negative dimension in shape " + shape_string(shape));
}

Tensor Tensor::over(std::shared_ptr<Storage> storage, std::size_t byte_offset, const Shape& shape,
                    DType dtype) {
  check_shape(shape);
  if (byte_offset + shape_numel(shape) * dtype_size(dtype) > storage->bytes)
    throw Error("nn::Tensor: shape " + shape_string(shape) + " does not fit its storage");
  Tensor t;
  t.storage_ = std::move(storage);
  t.offset_ = byte_offset;
  t.shape_ = shape;
  t.strides_ = contiguous_strides(shape);
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  check_shape(shape);
  auto st = std::make_shared<Storage>();
  st->bytes = std::max<std::size_t>(1, shape_numel(shape) * dtype_size(dtype));
  st->data = std::calloc(st->bytes, 1);
  if (!st->data) throw Error("nn::Tensor: out of host memory for " + shape_string(shape));
  st->deleter = [](void* p) { std::free(p); };
  return over(std::move(st), 0, shape, dtype);
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("nn::Tensor::from_vector: " + std::to_string(values.size()) + " values for shape " +
                shape_string(shape));
  Tensor t = empty(shape, DType::F32);
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<int32_t>& values) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("nn::Tensor::from_vector: " + std::to_string(values.size()) + " values for shape " +
                shape_string(shape));
  Tensor t = empty(shape, DType::I32);
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(int32_t));
  return t;
}

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, Device device) {
  auto st = std::make_shared<Storage>();
  st->data = data;
  st->bytes = shape_numel(shape) * dtype_size(dtype);
  st->device = device;
  return over(std::move(st), 0, shape, dtype);
}

int64_t Tensor::dim(int i) const {
  int r = rank();
  int j = i < 0 ? i + r : i;
  if (j < 0 || j >= r)
    throw Error("nn::Tensor: dim " + std::to_string(i) + " of a rank-" + std::to_string(r) +
                " tensor");
  return shape_[j];
}

bool Tensor::contiguous() const { return strides_ == contiguous_strides(shape_); }

void* Tensor::raw() const {
  if (!storage_) return nullptr;
  if (storage_->device != Device::Host) [[unlikely]]
    throw Error("nn::Tensor: host access to a tensor " + shape_string(shape_) +
                " in device memory (copy it to the host through the backend first)");
  return static_cast<char*>(storage_->data) + offset_;
}

Tensor Tensor::retagged(Device device) const {
  if (!storage_ || storage_->device == device) return *this;
  // The view's Storage borrows the memory; the holder keeps the owning storage alive with it.
  struct Holder {
    std::shared_ptr<Storage> owner;
    Storage view;
  };
  auto h = std::make_shared<Holder>();
  h->owner = storage_;
  h->view.data = storage_->data;
  h->view.bytes = storage_->bytes;
  h->view.device = device;
  Tensor t = *this;
  t.storage_ = std::shared_ptr<Storage>(h, &h->view);
  return t;
}
float* Tensor::f32() const {
  expect_dtype("Tensor::f32", "self", *this, DType::F32);
  return static_cast<float*>(raw());
}
int32_t* Tensor::i32() const {
  expect_dtype("Tensor::i32", "self", *this, DType::I32);
  return static_cast<int32_t*>(raw());
}
int64_t* Tensor::i64() const {
  expect_dtype("Tensor::i64", "self", *this, DType::I64);
  return static_cast<int64_t*>(raw());
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (!contiguous()) throw Error("nn::Tensor::reshape: the tensor is not contiguous");
  Shape s = shape;
  int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0) throw Error("nn::Tensor::reshape: more than one -1 in " + shape_string(s));
      infer = static_cast<int>(i);
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) s[infer] = known ? numel() / known : 0;
  if (shape_numel(s) != numel())
    throw Error("nn::Tensor::reshape: cannot view " + shape_string(shape_) + " as " +
                shape_string(shape));
  Tensor t = *this;
  t.shape_ = s;
  t.strides_ = contiguous_strides(s);
  return t;
}

Tensor Tensor::slice(int d, int64_t begin, int64_t end) const {
  int j = d < 0 ? d + rank() : d;
  int64_t n = dim(d);
  if (begin < 0 || end < begin || end > n)
    throw Error("nn::Tensor::slice: [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") out of dim " + std::to_string(d) + " of " + shape_string(shape_));
  Tensor t = *this;
  t.offset_ += begin * strides_[j] * dtype_size(dtype_);
  t.shape_[j] = end - begin;
  return t;
}

std::vector<float> Tensor::to_vector() const {
  if (device() != Device::Host) throw Error("nn::Tensor::to_vector: tensor is on the device");
  std::vector<float> out;
  out.reserve(numel());
  const int r = rank();
  if (numel() == 0) return out;
  std::vector<int64_t> idx(r, 0);
  const char* base = static_cast<const char*>(raw());
  for (int64_t n = 0; n < numel(); ++n) {
    int64_t off = 0;
    for (int i = 0; i < r; ++i) off += idx[i] * strides_[i];
    const char* p = base + off * dtype_size(dtype_);
    switch (dtype_) {
      case DType::F32:
        out.push_back(*reinterpret_cast<const float*>(p));
        break;
      case DType::I32:
        out.push_back(static_cast<float>(*reinterpret_cast<const int32_t*>(p)));
        break;
      case DType::I64:
        out.push_back(static_cast<float>(*reinterpret_cast<const int64_t*>(p)));
        break;
    }
    for (int i = r - 1; i >= 0; --i) {
      if (++idx[i] < shape_[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

void Tensor::fill(float v) const {
  if (device() != Device::Host || !contiguous() || dtype_ != DType::F32)
    throw Error("nn::Tensor::fill: needs a contiguous f32 host tensor");
  float* p = f32();
  for (int64_t i = 0; i < numel(); ++i) p[i] = v;
}

void expect_shape(const char* op, const char* arg, const Tensor& t, const Shape& shape) {
  if (t.shape() != shape)
    throw Error(std::string("nn::") + op + ": argument '" + arg + "' has shape " +
                shape_string(t.shape()) + ", expected " + shape_string(shape));
}
void expect_rank(const char* op, const char* arg, const Tensor& t, int rank) {
  if (t.rank() != rank)
    throw Error(std::string("nn::") + op + ": argument '" + arg + "' has shape " +
                shape_string(t.shape()) + ", expected rank " + std::to_string(rank));
}
void expect_dtype(const char* op, const char* arg, const Tensor& t, DType dtype) {
  if (t.dtype() != dtype)
    throw Error(std::string("nn::") + op + ": argument '" + arg + "' is " + dtype_name(t.dtype()) +
                ", expected " + dtype_name(dtype));
}

RowLayout row_layout(const std::string& op, const char* arg, const Tensor& t) {
  RowLayout r;
  if (t.rank() == 0) {
    r.rows = r.cols = r.stride = 1;
  } else if (t.contiguous()) {
    r.cols = t.dim(-1);
    r.rows = r.cols ? t.numel() / r.cols : 0;
    r.stride = r.cols;
  } else if (t.row_major_2d()) {
    r.rows = t.dim(0);
    r.cols = t.dim(1);
    r.stride = t.row_stride();
  } else {
    throw Error(op + ": argument '" + arg + "' of shape " + shape_string(t.shape()) +
                " must be contiguous or 2-D with contiguous rows");
  }
  return r;
}

}  // namespace lidardet::nn
