// PyTorch's two containers around a pickled object: the zip archive (torch >= 1.6 default) and
// the legacy stream of pickles followed by raw storages (what OpenPCDet writes).
#include <map>
#include <unordered_map>

#include "checkpoint/formats.hpp"
#include "checkpoint/pickle.hpp"
#include "checkpoint/state_dict.hpp"
#include "checkpoint/zip_reader.hpp"
#include "core/error.hpp"

namespace lidardet::checkpoint_detail {

namespace {

// Views may repeat storage bytes, so the total materialized is bounded by a multiple of the file.
uint64_t byte_budget(std::size_t file_size) { return 4 * uint64_t(file_size) + (64u << 20); }

struct StorageTable {
  struct Entry {
    std::string key;
    DType dtype;
    std::string_view bytes;
    bool located = false;
  };
  std::vector<Entry> entries;
  std::unordered_map<std::string, int64_t> by_key;

  // Interprets a persistent id ('storage', <storage type>, key, location, numel[, view]).
  Ref load(Unpickler& u, Ref pid, bool legacy) {
    auto bad = [&](const std::string& m) -> void {
      throw Error(u.label() + ": persistent id " + describe(pid) + ": " + m);
    };
    if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::Str ||
        pid->items[0]->s != "storage")
      bad("expected ('storage', type, key, location, numel)");
    Ref type = pid->items[1];
    Ref key = pid->items[2];
    if (key->kind != Kind::Str) bad("the storage key must be a str");
    if (legacy && pid->items.size() > 5 && pid->items[5]->kind != Kind::None)
      bad("storage views (from very old PyTorch versions) are not supported");
    static const std::map<std::string, DType> types = {
        {"torch.FloatStorage", DType::F32},     {"torch.HalfStorage", DType::F16},
        {"torch.BFloat16Storage", DType::BF16}, {"torch.DoubleStorage", DType::F64},
        {"torch.LongStorage", DType::I64},      {"torch.IntStorage", DType::I32},
        {"torch.ShortStorage", DType::I16},     {"torch.CharStorage", DType::I8},
        {"torch.ByteStorage", DType::U8},       {"torch.BoolStorage", DType::Bool}};
    auto found = type->kind == Kind::Global ? types.find(type->s) : types.end();
    if (found == types.end()) bad("the storage type must be a torch.*Storage global");
    const DType dt = found->second;
    auto it = by_key.find(key->s);
    int64_t index;
    if (it == by_key.end()) {
      index = int64_t(entries.size());
      by_key.emplace(key->s, index);
      entries.push_back({key->s, dt, {}, false});
    } else {
      index = it->second;
      if (entries[index].dtype != dt)
        bad("storage '" + key->s + "' is used with two element types");
    }
    Ref s = u.make(Kind::Storage);
    s->i = index;
    s->dtype = dt;
    return s;
  }
};

Checkpoint finish(Ref top, StorageTable& table, std::size_t file_size, const std::string& label,
                  const std::function<std::string_view(StorageTable::Entry&)>& fetch,
                  const char* container) {
  Checkpoint ck;
  ck.source = label;
  ck.container = container;
  extract_state_dict(
      top, [&](int64_t i) { return fetch(table.entries[i]); }, byte_budget(file_size), ck);
  return ck;
}

}  // namespace

Checkpoint load_pytorch_zip(std::string_view bytes, const std::string& label) {
  ZipReader zip(bytes, label);
  const ZipEntry* pkl = nullptr;
  for (const ZipEntry& e : zip.entries()) {
    const std::string_view n = e.name;
    if (n == "data.pkl" ||
        (n.size() > 9 && n.substr(n.size() - 9) == "/data.pkl" && n.find('/') == n.size() - 9)) {
      if (pkl) throw Error(label + ": zip holds two data.pkl entries");
      pkl = &e;
    }
  }
  if (!pkl) throw Error(label + ": zip archive has no data.pkl (not a PyTorch checkpoint)");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - 8);
  if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
    const std::string order = zip.read(*bo);
    if (order != "little")
      throw Error(label + ": checkpoint byte order is '" + order + "', only 'little' is supported");
  }
  StorageTable table;
  Unpickler u(label + " (" + pkl->name + ")",
              [&](Unpickler& un, Ref pid) { return table.load(un, pid, false); });
  const std::string pickle = zip.read(*pkl);
  std::size_t pos = 0;
  Ref top = u.load(pickle, pos);
  std::map<std::string, std::string> cache;  // storage key -> inflated bytes
  return finish(
      top, table, bytes.size(), label,
      [&](StorageTable::Entry& e) -> std::string_view {
        if (!e.located) {
          const std::string name = prefix + "data/" + e.key;
          const ZipEntry* z = zip.find(name);
          if (!z) throw Error(label + ": storage entry '" + name + "' is missing");
          e.bytes = cache.emplace(e.key, zip.read(*z)).first->second;
          e.located = true;
        }
        return e.bytes;
      },
      "pytorch-zip");
}

Checkpoint load_pytorch_legacy(std::string_view bytes, const std::string& label) {
  StorageTable table;
  Unpickler u(label, [&](Unpickler& un, Ref pid) { return table.load(un, pid, true); });
  std::size_t pos = 0;
  // 1. The magic number 0x1950a86a20f9469cfc6c, pickled as a 10-byte little-endian long.
  Ref magic = u.load(bytes, pos);
  static const std::string kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
  if (magic->kind != Kind::BigInt || magic->s != kMagic)
    throw Error(label + ": a pickle, but not a PyTorch checkpoint (legacy magic number missing)");
  // 2. The protocol version, 3. sys_info (byte order and type sizes).
  Ref version = u.load(bytes, pos);
  if (version->kind != Kind::Int || version->i != 1001)
    throw Error(label + ": unsupported legacy checkpoint protocol " + describe(version) +
                " (expected 1001)");
  Ref sys_info = u.load(bytes, pos);
  if (Ref le = dict_get(sys_info, "little_endian"); le && !(le->kind == Kind::Bool && le->i))
    throw Error(label + ": big-endian legacy checkpoints are not supported");
  // 4. The object itself, 5. the storage keys, 6. each storage: int64 element count + raw bytes.
  Ref top = u.load(bytes, pos);
  Ref keys = u.load(bytes, pos);
  if (keys->kind != Kind::List)
    throw Error(label + ": legacy storage key list is a " + std::string(kind_name(keys->kind)));
  for (Ref k : keys->items) {
    if (k->kind != Kind::Str) throw Error(label + ": legacy storage key is not a str");
    auto it = table.by_key.find(k->s);
    if (it == table.by_key.end())
      throw Error(label + ": storage '" + k->s + "' is listed but never used by the object");
    StorageTable::Entry& e = table.entries[it->second];
    if (bytes.size() - pos < 8)
      throw Error(label + ": truncated file: storage '" + k->s + "' header is missing");
    uint64_t count = 0;
    for (int b = 7; b >= 0; --b) count = (count << 8) | uint8_t(bytes[pos + b]);
    pos += 8;
    const uint64_t es = dtype_size(e.dtype);
    if (count > (bytes.size() - pos) / es)
      throw Error(label + ": truncated file: storage '" + k->s + "' needs " +
                  std::to_string(count) + " elements of " + std::to_string(es) +
                  " bytes, the file has " + std::to_string(bytes.size() - pos) + " left");
    e.bytes = bytes.substr(pos, count * es);
    e.located = true;
    pos += count * es;
  }
  return finish(
      top, table, bytes.size(), label,
      [&](StorageTable::Entry& e) -> std::string_view {
        if (!e.located) throw Error(label + ": storage '" + e.key + "' has no data in the file");
        return e.bytes;
      },
      "pytorch-legacy");
}

}  // namespace lidardet::checkpoint_detail
