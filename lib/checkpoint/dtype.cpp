// Element types: sizes, names and the conversion of any stored type to float32.
#include <cstring>

#include "checkpoint/checkpoint.hpp"
#include "core/error.hpp"

namespace lidardet {

namespace {

// IEEE half -> float, exact for every value (subnormals, infinities, NaN payloads).
float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: normalise into a float exponent
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | uint32_t(127 - 15 - e) << 23 | ((mant & 0x3ffu) << 13);
    }
  } else {
    bits = sign | (exp + 127 - 15) << 23 | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <typename T>
void widen(const std::vector<uint8_t>& data, std::vector<float>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16:
      return 2;
    case DType::I8:
    case DType::U8:
    case DType::Bool:
      return 1;
  }
  return 1;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::F64:
      return "F64";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
    case DType::I16:
      return "I16";
    case DType::I8:
      return "I8";
    case DType::U8:
      return "U8";
    case DType::Bool:
      return "BOOL";
  }
  return "?";
}

DType dtype_from_name(std::string_view name) {
  static const DType all[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I64,
                              DType::I32, DType::I16, DType::I8,   DType::U8,  DType::Bool};
  for (DType t : all)
    if (name == dtype_name(t)) return t;
  throw Error("unknown dtype '" + std::string(name) +
              "' (expected F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL)");
}

int64_t NamedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<float> NamedTensor::to_float32() const {
  const std::size_t n = static_cast<std::size_t>(numel());
  if (data.size() != n * dtype_size(dtype))
    throw Error("tensor '" + name + "': holds " + std::to_string(data.size()) +
                " bytes, expected " + std::to_string(n * dtype_size(dtype)));
  std::vector<float> out(n);
  switch (dtype) {
    case DType::F32:
      widen<float>(data, out);
      break;
    case DType::F64:
      widen<double>(data, out);
      break;
    case DType::I64:
      widen<int64_t>(data, out);
      break;
    case DType::I32:
      widen<int32_t>(data, out);
      break;
    case DType::I16:
      widen<int16_t>(data, out);
      break;
    case DType::I8:
      widen<int8_t>(data, out);
      break;
    case DType::U8:
      widen<uint8_t>(data, out);
      break;
    case DType::Bool:
      for (std::size_t i = 0; i < n; ++i) out[i] = data[i] ? 1.0f : 0.0f;
      break;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, data.data() + 2 * i, 2);
        out[i] = half_to_float(h);
      }
      break;
    case DType::BF16:  // bfloat16 is the top half of a float32
      for (std::size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, data.data() + 2 * i, 2);
        const uint32_t bits = uint32_t(h) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
      break;
  }
  return out;
}

}  // namespace lidardet
