// A pickle reader that builds plain data and never executes code. Only the globals a PyTorch
// state dict needs are accepted (the allow-list in pickle.cpp, documented in docs/checkpoints.md);
// any other global is an error naming it. Objects live in an arena owned by the Unpickler, so
// cyclic or deeply nested pickles cannot leak or overflow the stack when freed.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint.hpp"

namespace lidardet::checkpoint_detail {

struct PyObj;
using Ref = PyObj*;

enum class Kind {
  None,
  Bool,
  Int,
  BigInt,
  Float,
  Str,
  Bytes,
  Tuple,
  List,
  Dict,
  Global,
  Storage,
  Tensor,
  Opaque
};

struct PyObj {
  Kind kind = Kind::None;
  int64_t i = 0;  // Bool, Int; Storage: its index in the container's storage table
  double f = 0;   // Float
  std::string s;  // Str, Bytes, BigInt (little-endian two's complement), Global and Opaque name
  std::vector<Ref> items;                  // Tuple, List
  std::vector<std::pair<Ref, Ref>> pairs;  // Dict, in insertion order (last duplicate wins)
  // Tensor: a strided view of a storage (element units).
  Ref storage = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> size, stride;
  DType dtype = DType::F32;  // Storage and Tensor element type
};

const char* kind_name(Kind k);

class Unpickler {
 public:
  // Called for BINPERSID/PERSID with the persistent id; returns a Storage object (use make()).
  using PersistentLoad = std::function<Ref(Unpickler&, Ref pid)>;

  Unpickler(std::string label, PersistentLoad persistent_load);

  // Reads one pickle starting at bytes[pos]; returns its value and sets pos just past STOP.
  Ref load(std::string_view bytes, std::size_t& pos);

  Ref make(Kind k);
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  PersistentLoad persistent_load_;
  std::deque<PyObj> arena_;
};

// Dict lookup by string key (the last matching entry); nullptr when absent or not a dict.
Ref dict_get(Ref dict, std::string_view key);
// Short description for error messages and metadata ("int 3", "str 'pcdet+0.6.0'").
std::string describe(Ref v, int depth = 0);

}  // namespace lidardet::checkpoint_detail
