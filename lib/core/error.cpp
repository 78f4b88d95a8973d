#include "core/error.hpp"

namespace lidardet {

std::string where(const std::string& file, long line, const std::string& field) {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  if (!field.empty()) s += ": field '" + field + "'";
  return s;
}

void fail(const std::string& file, long line, const std::string& field, const std::string& message) {
  throw Error(where(file, line, field) + ": " + message);
}

}  // namespace lidardet
