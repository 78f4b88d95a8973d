// Key lookup and the all-at-once comparison of a checkpoint with a model's expected keys.
#include <set>
#include <sstream>

#include "checkpoint/checkpoint.hpp"
#include "core/error.hpp"

namespace lidardet {

namespace {
std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}
}  // namespace

const NamedTensor* Checkpoint::find(std::string_view name) const {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

void check_keys(const Checkpoint& checkpoint,
                const std::map<std::string, std::vector<int64_t>>& expected) {
  std::vector<std::string> missing, unexpected, wrong_shape;
  std::set<std::string> present;
  for (const NamedTensor& t : checkpoint.tensors) {
    present.insert(t.name);
    auto it = expected.find(t.name);
    if (it == expected.end())
      unexpected.push_back(t.name + " " + shape_text(t.shape));
    else if (it->second != t.shape)
      wrong_shape.push_back(t.name + ": checkpoint has " + shape_text(t.shape) +
                            ", model expects " + shape_text(it->second));
  }
  for (const auto& [name, shape] : expected)
    if (!present.count(name)) missing.push_back(name + " " + shape_text(shape));
  if (missing.empty() && unexpected.empty() && wrong_shape.empty()) return;

  std::ostringstream msg;
  msg << checkpoint.source << ": checkpoint does not match the model (" << missing.size()
      << " missing, " << unexpected.size() << " unexpected, " << wrong_shape.size()
      << " wrong shape)";
  if (missing.size() == expected.size() && !expected.empty())
    msg << "\n  no key of the model is in the checkpoint: is it the checkpoint of a different "
           "configuration?";
  auto list = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    msg << "\n  " << title << ":";
    for (const std::string& s : items) msg << "\n    " << s;
  };
  list("missing keys", missing);
  list("unexpected keys", unexpected);
  list("wrong shapes", wrong_shape);
  throw Error(msg.str());
}

}  // namespace lidardet
