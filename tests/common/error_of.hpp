// The message of the lidardet::Error a callable throws; a test failure when it throws none.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.hpp"

namespace lidardet::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const lidardet::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected lidardet::Error";
  return {};
}

}  // namespace lidardet::test
