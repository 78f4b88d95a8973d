#include "checkpoint/state_dict.hpp"

#include <cstring>
#include <unordered_map>

#include "core/error.hpp"

namespace lidardet::checkpoint_detail {

namespace {

bool holds_tensors(Ref d) {
  if (!d || d->kind != Kind::Dict) return false;
  for (const auto& kv : d->pairs)
    if (kv.second->kind == Kind::Tensor) return true;
  return false;
}

bool is_scalar(Ref v) {
  return v->kind == Kind::None || v->kind == Kind::Bool || v->kind == Kind::Int ||
         v->kind == Kind::Float || v->kind == Kind::Str;
}

// Copies a strided view into a contiguous row-major array after checking that every element it
// addresses lies inside the storage.
NamedTensor materialize(const std::string& label, const std::string& name, Ref t,
                        std::string_view storage, uint64_t& budget) {
  NamedTensor out;
  out.name = name;
  out.dtype = t->dtype;
  out.shape = t->size;
  const uint64_t es = dtype_size(t->dtype);
  auto bad = [&](const std::string& msg) -> void {
    throw Error(label + ": tensor '" + name + "': " + msg);
  };
  uint64_t numel = 1, last = uint64_t(t->offset);
  bool overflow = false;
  for (std::size_t d = 0; d < t->size.size(); ++d) {
    const uint64_t n = uint64_t(t->size[d]);
    overflow |= __builtin_mul_overflow(numel, n, &numel);
  }
  if (overflow) bad("element count overflows");
  if (numel == 0) return out;
  for (std::size_t d = 0; d < t->size.size(); ++d) {
    uint64_t reach = 0;
    overflow |= __builtin_mul_overflow(uint64_t(t->size[d] - 1), uint64_t(t->stride[d]), &reach);
    overflow |= __builtin_add_overflow(last, reach, &last);
  }
  const uint64_t capacity = storage.size() / es;
  if (overflow || last >= capacity)
    bad("its view (offset " + std::to_string(t->offset) + ") reaches element " +
        (overflow ? std::string("beyond 2^64") : std::to_string(last)) + " of a storage of " +
        std::to_string(capacity) + " elements");
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, es, &bytes) || bytes > budget)
    bad("materializing it would exceed the memory bound for this file (" + std::to_string(bytes) +
        " bytes)");
  budget -= bytes;
  out.data.resize(bytes);
  const std::size_t rank = t->size.size();
  // Row-major contiguous views are one copy; anything else walks the index space.
  bool contiguous = true;
  int64_t expect = 1;
  for (std::size_t d = rank; d-- > 0;) {
    if (t->size[d] != 1 && t->stride[d] != expect) contiguous = false;
    expect *= t->size[d];
  }
  const char* base = storage.data();
  if (contiguous) {
    std::memcpy(out.data.data(), base + uint64_t(t->offset) * es, bytes);
    return out;
  }
  std::vector<int64_t> idx(rank, 0);
  uint64_t src = uint64_t(t->offset);
  for (uint64_t k = 0; k < numel; ++k) {
    std::memcpy(out.data.data() + k * es, base + src * es, es);
    for (std::size_t d = rank; d-- > 0;) {
      if (++idx[d] < t->size[d]) {
        src += uint64_t(t->stride[d]);
        break;
      }
      src -= uint64_t(t->stride[d]) * uint64_t(t->size[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

}  // namespace

void extract_state_dict(Ref top, const StorageBytes& storage_bytes, uint64_t byte_budget,
                        Checkpoint& ck) {
  Ref state = nullptr;
  if (top->kind == Kind::Dict) {
    for (const char* w : {"model_state", "state_dict", "model"}) {
      Ref v = dict_get(top, w);
      if (v && v->kind == Kind::Dict) {
        state = v;
        ck.wrapper = w;
        break;
      }
    }
    if (!state && holds_tensors(top)) state = top;
  }
  if (!state)
    throw Error(ck.source + ": no state dict found: the file holds a " + kind_name(top->kind) +
                " without tensors (expected a dict of tensors, or a wrapper with 'model_state', "
                "'state_dict' or 'model')");

  // The wrapper's other fields: scalars as text, nested dicts (mmcv 'meta') one level deep.
  if (state != top) {
    for (const auto& [k, v] : top->pairs) {
      if (k->kind != Kind::Str || k->s == ck.wrapper) continue;
      if (is_scalar(v)) {
        ck.metadata[k->s] = describe(v);
      } else if (v->kind == Kind::Dict && k->s != "optimizer_state" && k->s != "optimizer") {
        for (const auto& [k2, v2] : v->pairs)
          if (k2->kind == Kind::Str && is_scalar(v2))
            ck.metadata[k->s + "." + k2->s] = describe(v2);
      } else {
        ck.metadata[k->s] = std::string("<") + kind_name(v->kind) + ", not loaded>";
      }
    }
  }

  std::unordered_map<std::string, std::size_t> index;  // a repeated key keeps the last value
  std::size_t skipped = 0;
  for (const auto& [k, v] : state->pairs) {
    if (k->kind != Kind::Str)
      throw Error(ck.source + ": state dict key " + describe(k) + " is a " + kind_name(k->kind) +
                  ", expected a str");
    if (v->kind != Kind::Tensor) {
      ++skipped;
      continue;
    }
    NamedTensor t = materialize(ck.source, k->s, v, storage_bytes(v->storage->i), byte_budget);
    auto it = index.find(t.name);
    if (it != index.end()) {
      ck.tensors[it->second] = std::move(t);
    } else {
      index.emplace(t.name, ck.tensors.size());
      ck.tensors.push_back(std::move(t));
    }
  }
  if (skipped) ck.metadata["skipped_non_tensor_entries"] = std::to_string(skipped);
}

}  // namespace lidardet::checkpoint_detail
