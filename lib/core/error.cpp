#include "core/error.hpp"

#include <sstream>

namespace lidardet {

std::string where(const std::string& file, long line, const std::string& field) {
  std::ostringstream s;
  s << file;
  if (line > 0) s << ':' << line;
  if (!field.empty()) s << ": field '" << field << "'";
  return s.str();
}

void fail(const std::string& file, long line, const std::string& field, const std::string& message) {
  throw Error(where(file, line, field) + ": " + message);
}

}  // namespace lidardet
