// Errors that name where bad input came from: file, line or record, field, and what was expected.
#pragma once
#include <stdexcept>
#include <string>

namespace lidardet {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "FILE:LINE: field 'FIELD': MESSAGE" (line and field are omitted when 0 / empty).
std::string where(const std::string& file, long line = 0, const std::string& field = {});

[[noreturn]] void fail(const std::string& file, long line, const std::string& field,
                       const std::string& message);

}  // namespace lidardet
