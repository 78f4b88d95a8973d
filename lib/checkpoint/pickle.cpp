#include "checkpoint/pickle.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/error.hpp"

namespace lidardet::checkpoint_detail {

namespace {

// What an allowed global does when called (REDUCE, NEWOBJ, OBJ, INST). Nothing here runs code:
// each one builds plain data.
enum class Callable { OrderedDict, RebuildTensor, RebuildParameter, Storage, Inert };

struct Allowed {
  Callable what;
  DType dtype = DType::F32;  // for storage types
};

// The allow-list. State dicts need OrderedDict, the tensor/parameter rebuild functions and the
// typed storage classes. The "inert" entries appear in the metadata of some wrappers (mmcv meta,
// numpy scalars, sets); they become opaque values that are never called.
const std::unordered_map<std::string, Allowed>& allow_list() {
  static const std::unordered_map<std::string, Allowed> list = {
      {"collections.OrderedDict", {Callable::OrderedDict}},
      {"torch._utils._rebuild_tensor", {Callable::RebuildTensor}},
      {"torch._utils._rebuild_tensor_v2", {Callable::RebuildTensor}},
      {"torch._utils._rebuild_parameter", {Callable::RebuildParameter}},
      {"torch._utils._rebuild_parameter_with_state", {Callable::RebuildParameter}},
      {"torch.FloatStorage", {Callable::Storage, DType::F32}},
      {"torch.HalfStorage", {Callable::Storage, DType::F16}},
      {"torch.BFloat16Storage", {Callable::Storage, DType::BF16}},
      {"torch.DoubleStorage", {Callable::Storage, DType::F64}},
      {"torch.LongStorage", {Callable::Storage, DType::I64}},
      {"torch.IntStorage", {Callable::Storage, DType::I32}},
      {"torch.ShortStorage", {Callable::Storage, DType::I16}},
      {"torch.CharStorage", {Callable::Storage, DType::I8}},
      {"torch.ByteStorage", {Callable::Storage, DType::U8}},
      {"torch.BoolStorage", {Callable::Storage, DType::Bool}},
      {"numpy.core.multiarray.scalar", {Callable::Inert}},
      {"numpy.core.multiarray._reconstruct", {Callable::Inert}},
      {"numpy.ndarray", {Callable::Inert}},
      {"numpy.dtype", {Callable::Inert}},
      {"_codecs.encode", {Callable::Inert}},
      {"builtins.set", {Callable::Inert}},
      {"builtins.frozenset", {Callable::Inert}},
  };
  return list;
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::BigInt:
      return "big int";
    case Kind::Float:
      return "float";
    case Kind::Str:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global";
    case Kind::Storage:
      return "storage";
    case Kind::Tensor:
      return "tensor";
    case Kind::Opaque:
      return "object";
  }
  return "?";
}

Unpickler::Unpickler(std::string label, PersistentLoad persistent_load)
    : label_(std::move(label)), persistent_load_(std::move(persistent_load)) {}

Ref Unpickler::make(Kind k) {
  arena_.emplace_back();
  arena_.back().kind = k;
  return &arena_.back();
}

namespace {

class Machine {
 public:
  Machine(Unpickler& u, std::string_view b, std::size_t pos, const Unpickler::PersistentLoad& pl)
      : u_(u), b_(b), pos_(pos), persistent_load_(pl) {}

  Ref run(std::size_t& end);

 private:
  [[noreturn]] void bad(const std::string& msg) const {
    throw Error(u_.label() + ": pickle byte " + std::to_string(op_at_) + ": " + msg);
  }
  std::string_view take(std::size_t n) {
    if (n > b_.size() - pos_) bad("truncated pickle (needs " + std::to_string(n) + " more bytes)");
    std::string_view s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint64_t uint_le(int n) {
    const std::string_view s = take(n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(s[i]);
    return v;
  }
  std::string_view line() {
    const std::size_t nl = b_.find('\n', pos_);
    if (nl == std::string_view::npos) bad("truncated pickle (text argument without newline)");
    std::string_view s = b_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }
  void push(Ref r) { stack_.push_back(r); }
  Ref pop() {
    if (stack_.size() <= floor()) bad("stack underflow (corrupt pickle)");
    Ref r = stack_.back();
    stack_.pop_back();
    return r;
  }
  Ref top() {
    if (stack_.size() <= floor()) bad("stack underflow (corrupt pickle)");
    return stack_.back();
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Ref> pop_mark() {
    if (marks_.empty()) bad("no MARK before this opcode (corrupt pickle)");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Ref> items(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return items;
  }
  Ref int_obj(int64_t v) {
    Ref r = u_.make(Kind::Int);
    r->i = v;
    return r;
  }
  Ref str_obj(Kind k, std::string_view s) {
    Ref r = u_.make(k);
    r->s = s;
    return r;
  }
  Ref long_obj(std::string_view le) {
    if (le.size() <= 8) {
      uint64_t v = 0;
      for (std::size_t i = le.size(); i-- > 0;) v = (v << 8) | uint8_t(le[i]);
      if (!le.empty() && le.size() < 8 && (uint8_t(le.back()) & 0x80))
        v |= ~uint64_t(0) << (8 * le.size());  // sign-extend
      return int_obj(int64_t(v));
    }
    return str_obj(Kind::BigInt, le);
  }
  Ref resolve_global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!allow_list().count(full))
      bad("global '" + full +
          "' is not in the allow-list of a state dict; refusing it (loading a checkpoint never "
          "executes code)");
    return str_obj(Kind::Global, full);
  }
  Ref call(Ref callable, const std::vector<Ref>& args, const char* op, bool is_new);
  void set_items(Ref dict, const std::vector<Ref>& kv);
  void append_items(Ref list, const std::vector<Ref>& items);
  int64_t as_int(Ref r, const char* what) {
    if (r->kind != Kind::Int) bad(std::string(what) + " must be an int, got " + describe(r));
    return r->i;
  }
  std::vector<int64_t> int_tuple(Ref r, const char* what) {
    if (r->kind != Kind::Tuple && r->kind != Kind::List)
      bad(std::string(what) + " must be a tuple of ints, got " + describe(r));
    std::vector<int64_t> out;
    for (Ref x : r->items) {
      out.push_back(as_int(x, what));
      if (out.back() < 0) bad(std::string(what) + " holds a negative value");
    }
    return out;
  }
  std::string unquote(std::string_view s);

  Unpickler& u_;
  std::string_view b_;
  std::size_t pos_;
  std::size_t op_at_ = 0;
  const Unpickler::PersistentLoad& persistent_load_;
  std::vector<Ref> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
};

std::string Machine::unquote(std::string_view s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front())
    bad("STRING argument is not quoted");
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) bad("STRING argument ends in a backslash");
    switch (s[i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'x': {
        if (i + 2 >= s.size()) bad("bad \\x escape in STRING");
        const std::string hex(s.substr(i + 1, 2));
        char* endp = nullptr;
        const long v = std::strtol(hex.c_str(), &endp, 16);
        if (hex.size() != 2 || *endp) bad("bad \\x escape in STRING");
        out += char(v);
        i += 2;
        break;
      }
      default:
        bad(std::string("unsupported escape \\") + s[i] + " in STRING");
    }
  }
  return out;
}

// Applies an allowed global to arguments. Builds data only; never runs anything.
Ref Machine::call(Ref callable, const std::vector<Ref>& args, const char* op, bool is_new) {
  if (callable->kind != Kind::Global)
    bad(std::string(op) + " applied to a " + kind_name(callable->kind) + ", not a callable global");
  const Allowed& a = allow_list().at(callable->s);
  if (is_new && a.what != Callable::OrderedDict && a.what != Callable::Inert)
    bad(std::string(op) + " of '" + callable->s + "' is not allowed (it is not a class)");
  switch (a.what) {
    case Callable::OrderedDict: {
      Ref d = u_.make(Kind::Dict);
      if (!args.empty()) {
        if (args.size() != 1 || (args[0]->kind != Kind::List && args[0]->kind != Kind::Tuple))
          bad("OrderedDict expects no argument or one list of pairs");
        for (Ref p : args[0]->items) {
          if ((p->kind != Kind::Tuple && p->kind != Kind::List) || p->items.size() != 2)
            bad("OrderedDict items must be (key, value) pairs");
          d->pairs.emplace_back(p->items[0], p->items[1]);
        }
      }
      return d;
    }
    case Callable::RebuildTensor: {
      if (args.size() < 4) bad(callable->s + " expects at least 4 arguments");
      if (args[0]->kind != Kind::Storage)
        bad(callable->s + ": first argument must be a storage, got " + describe(args[0]));
      Ref t = u_.make(Kind::Tensor);
      t->storage = args[0];
      t->dtype = args[0]->dtype;
      t->offset = as_int(args[1], "tensor storage offset");
      if (t->offset < 0) bad("negative tensor storage offset");
      t->size = int_tuple(args[2], "tensor size");
      t->stride = int_tuple(args[3], "tensor stride");
      if (t->size.size() != t->stride.size()) bad("tensor size and stride have different lengths");
      return t;
    }
    case Callable::RebuildParameter:
      if (args.empty() || args[0]->kind != Kind::Tensor)
        bad(callable->s + ": first argument must be a tensor");
      return args[0];
    case Callable::Storage:
      bad("calling the storage type '" + callable->s + "' is not supported");
    case Callable::Inert: {
      Ref o = str_obj(Kind::Opaque, callable->s);
      o->items = args;
      return o;
    }
  }
  bad("unreachable");
}

void Machine::set_items(Ref dict, const std::vector<Ref>& kv) {
  if (dict->kind != Kind::Dict) bad(std::string("SETITEM(S) on a ") + kind_name(dict->kind));
  if (kv.size() % 2) bad("SETITEMS with an odd number of stack items");
  for (std::size_t i = 0; i < kv.size(); i += 2) dict->pairs.emplace_back(kv[i], kv[i + 1]);
}

void Machine::append_items(Ref list, const std::vector<Ref>& items) {
  if (list->kind != Kind::List && list->kind != Kind::Opaque)
    bad(std::string("APPEND(S)/ADDITEMS on a ") + kind_name(list->kind));
  list->items.insert(list->items.end(), items.begin(), items.end());
}

Ref Machine::run(std::size_t& end) {
  for (;;) {
    op_at_ = pos_;
    const uint8_t op = uint8_t(take(1)[0]);
    switch (op) {
      case 0x80: {  // PROTO
        const uint64_t proto = uint_le(1);
        if (proto > 5) bad("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case 0x95: {  // FRAME: a length hint; the bytes follow inline
        const uint64_t n = uint_le(8);
        if (n > b_.size() - pos_) bad("truncated pickle (frame runs past the end)");
        break;
      }
      case '.': {  // STOP
        Ref r = pop();
        end = pos_;
        return r;
      }
      case '(':
        marks_.push_back(stack_.size());
        break;
      case '0':
        pop();
        break;
      case '1':
        pop_mark();
        break;
      case '2':
        push(top());
        break;
      case 'N':
        push(u_.make(Kind::None));
        break;
      case 0x88:
      case 0x89: {
        Ref r = u_.make(Kind::Bool);
        r->i = op == 0x88;
        push(r);
        break;
      }
      case 'J':
        push(int_obj(int32_t(uint32_t(uint_le(4)))));
        break;
      case 'K':
        push(int_obj(int64_t(uint_le(1))));
        break;
      case 'M':
        push(int_obj(int64_t(uint_le(2))));
        break;
      case 0x8a:
        push(long_obj(take(uint_le(1))));
        break;
      case 0x8b: {
        const uint64_t n = uint_le(4);
        if (n & 0x80000000u) bad("negative LONG4 length");
        push(long_obj(take(n)));
        break;
      }
      case 'I':
      case 'L': {
        std::string t(line());
        if (op == 'L' && !t.empty() && t.back() == 'L') t.pop_back();
        if (op == 'I' && (t == "00" || t == "01")) {
          Ref r = u_.make(Kind::Bool);
          r->i = t == "01";
          push(r);
          break;
        }
        char* endp = nullptr;
        errno = 0;
        const long long v = std::strtoll(t.c_str(), &endp, 10);
        if (t.empty() || *endp || errno) bad("bad or out-of-range integer '" + t + "'");
        push(int_obj(v));
        break;
      }
      case 'G': {
        const uint64_t bits = __builtin_bswap64(uint_le(8));  // big-endian double
        Ref r = u_.make(Kind::Float);
        std::memcpy(&r->f, &bits, 8);
        push(r);
        break;
      }
      case 'F': {
        const std::string t(line());
        char* endp = nullptr;
        Ref r = u_.make(Kind::Float);
        r->f = std::strtod(t.c_str(), &endp);
        if (t.empty() || *endp) bad("bad float '" + t + "'");
        push(r);
        break;
      }
      case 'X':
        push(str_obj(Kind::Str, take(uint_le(4))));
        break;
      case 0x8c:
        push(str_obj(Kind::Str, take(uint_le(1))));
        break;
      case 0x8d:
        push(str_obj(Kind::Str, take(uint_le(8))));
        break;
      case 'V':
        push(str_obj(Kind::Str, line()));
        break;
      case 'T':
        push(str_obj(Kind::Str, take(uint_le(4))));
        break;  // py2 str, read as text
      case 'U':
        push(str_obj(Kind::Str, take(uint_le(1))));
        break;
      case 'S':
        push(str_obj(Kind::Str, unquote(line())));
        break;
      case 'B':
        push(str_obj(Kind::Bytes, take(uint_le(4))));
        break;
      case 'C':
        push(str_obj(Kind::Bytes, take(uint_le(1))));
        break;
      case 0x8e:
      case 0x96:
        push(str_obj(Kind::Bytes, take(uint_le(8))));
        break;
      case ')':
        push(u_.make(Kind::Tuple));
        break;
      case ']':
        push(u_.make(Kind::List));
        break;
      case '}':
        push(u_.make(Kind::Dict));
        break;
      case 0x8f:
        push(str_obj(Kind::Opaque, "set"));
        break;
      case 't':
      case 'l': {
        Ref r = u_.make(op == 't' ? Kind::Tuple : Kind::List);
        r->items = pop_mark();
        push(r);
        break;
      }
      case 0x91: {  // FROZENSET
        Ref r = str_obj(Kind::Opaque, "frozenset");
        r->items = pop_mark();
        push(r);
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        const std::size_t n = op - 0x84;
        Ref r = u_.make(Kind::Tuple);
        r->items.resize(n);
        for (std::size_t k = n; k-- > 0;) r->items[k] = pop();
        push(r);
        break;
      }
      case 'd': {
        Ref r = u_.make(Kind::Dict);
        set_items(r, pop_mark());
        push(r);
        break;
      }
      case 'a': {
        Ref v = pop();
        append_items(top(), {v});
        break;
      }
      case 'e':
      case 0x90: {
        std::vector<Ref> items = pop_mark();
        append_items(top(), items);
        break;
      }
      case 's': {
        Ref v = pop();
        Ref k = pop();
        set_items(top(), {k, v});
        break;
      }
      case 'u': {
        std::vector<Ref> kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case 'p': {
        const std::string t(line());
        char* endp = nullptr;
        const unsigned long long idx = std::strtoull(t.c_str(), &endp, 10);
        if (t.empty() || *endp) bad("bad PUT index");
        memo_[idx] = top();
        break;
      }
      case 'q':
        memo_[uint_le(1)] = top();
        break;
      case 'r':
        memo_[uint_le(4)] = top();
        break;
      case 0x94:
        memo_[memo_.size()] = top();
        break;  // MEMOIZE
      case 'g':
      case 'h':
      case 'j': {
        uint64_t idx;
        if (op == 'g') {
          const std::string t(line());
          char* endp = nullptr;
          idx = std::strtoull(t.c_str(), &endp, 10);
          if (t.empty() || *endp) bad("bad GET index");
        } else {
          idx = uint_le(op == 'h' ? 1 : 4);
        }
        auto it = memo_.find(idx);
        if (it == memo_.end()) bad("memo entry " + std::to_string(idx) + " was never stored");
        push(it->second);
        break;
      }
      case 'c': {  // GLOBAL
        const std::string module(line());
        const std::string name(line());
        push(resolve_global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Ref name = pop();
        Ref module = pop();
        if (module->kind != Kind::Str || name->kind != Kind::Str)
          bad("STACK_GLOBAL needs two strings");
        push(resolve_global(module->s, name->s));
        break;
      }
      case 'i': {  // INST: a global named inline, called with the items since MARK
        const std::string module(line());
        const std::string name(line());
        Ref cls = resolve_global(module, name);
        push(call(cls, pop_mark(), "INST", true));
        break;
      }
      case 'o': {  // OBJ: MARK class args...
        std::vector<Ref> items = pop_mark();
        if (items.empty()) bad("OBJ without a class");
        Ref cls = items.front();
        items.erase(items.begin());
        push(call(cls, items, "OBJ", true));
        break;
      }
      case 'R': {
        Ref args = pop();
        Ref fn = pop();
        if (args->kind != Kind::Tuple) bad("REDUCE arguments must be a tuple");
        push(call(fn, args->items, "REDUCE", false));
        break;
      }
      case 0x81:
      case 0x92: {              // NEWOBJ, NEWOBJ_EX
        if (op == 0x92) pop();  // kwargs
        Ref args = pop();
        Ref cls = pop();
        if (args->kind != Kind::Tuple) bad("NEWOBJ arguments must be a tuple");
        push(call(cls, args->items, "NEWOBJ", true));
        break;
      }
      case 'b': {  // BUILD: object state is data we do not need (e.g. a state dict's _metadata)
        pop();
        Ref obj = top();
        if (obj->kind != Kind::Dict && obj->kind != Kind::Tensor && obj->kind != Kind::Opaque)
          bad(std::string("BUILD on a ") + kind_name(obj->kind) + " is not allowed");
        break;
      }
      case 'Q':
      case 'P': {
        Ref pid = op == 'Q' ? pop() : str_obj(Kind::Str, line());
        if (!persistent_load_) bad("persistent id in a pickle that may not hold any");
        push(persistent_load_(u_, pid));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        bad("extension-registry opcodes (EXT1/2/4) are not allowed");
      case 0x97:
      case 0x98:
        bad("out-of-band buffers are not supported");
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        bad(std::string("unknown pickle opcode ") + hex + " (corrupt file?)");
      }
    }
  }
}

}  // namespace

Ref Unpickler::load(std::string_view bytes, std::size_t& pos) {
  if (pos >= bytes.size()) throw Error(label_ + ": truncated file (a pickle was expected)");
  Machine m(*this, bytes, pos, persistent_load_);
  return m.run(pos);
}

Ref dict_get(Ref dict, std::string_view key) {
  if (!dict || dict->kind != Kind::Dict) return nullptr;
  for (std::size_t i = dict->pairs.size(); i-- > 0;) {
    const auto& [k, v] = dict->pairs[i];
    if (k->kind == Kind::Str && k->s == key) return v;
  }
  return nullptr;
}

std::string describe(Ref v, int depth) {
  if (!v) return "nothing";
  auto clip = [](std::string s) { return s.size() > 80 ? s.substr(0, 77) + "..." : s; };
  switch (v->kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return v->i ? "True" : "False";
    case Kind::Int:
      return std::to_string(v->i);
    case Kind::BigInt:
      return "<" + std::to_string(v->s.size()) + "-byte int>";
    case Kind::Float: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v->f);
      return buf;
    }
    case Kind::Str:
      return clip(v->s);
    case Kind::Bytes:
      return "<" + std::to_string(v->s.size()) + " bytes>";
    case Kind::Tuple:
    case Kind::List: {
      if (depth > 3) return "[...]";
      std::string out = v->kind == Kind::Tuple ? "(" : "[";
      for (std::size_t i = 0; i < v->items.size() && i < 8; ++i)
        out += (i ? ", " : "") + describe(v->items[i], depth + 1);
      if (v->items.size() > 8) out += ", ...";
      return clip(out + (v->kind == Kind::Tuple ? ")" : "]"));
    }
    case Kind::Dict:
      return "<dict of " + std::to_string(v->pairs.size()) + ">";
    case Kind::Global:
      return "<global " + v->s + ">";
    case Kind::Storage:
      return std::string("<storage ") + dtype_name(v->dtype) + ">";
    case Kind::Tensor:
      return std::string("<tensor ") + dtype_name(v->dtype) + ">";
    case Kind::Opaque:
      return "<" + v->s + " object>";
  }
  return "?";
}

}  // namespace lidardet::checkpoint_detail
