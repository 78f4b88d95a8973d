// Paths the tests use: the source tree, the CLI binary and the shared real sample data.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace lidardet::test {

inline std::string source_dir() { return LIDARDET_SOURCE_DIR; }
inline std::string cli_path() { return LIDARDET_CLI_PATH; }

// ../shared (or $LIDARDET_SHARED_DIR). Tests that need it skip, saying why, when it is absent.
inline std::string shared_dir() {
  if (const char* env = std::getenv("LIDARDET_SHARED_DIR")) return env;
  return LIDARDET_SHARED_DIR;
}
inline std::string shared_data(const std::string& rel) { return shared_dir() + "/data/" + rel; }
inline bool exists(const std::string& p) { return std::filesystem::exists(p); }

// A fresh, empty temporary directory for one test.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("lidardet_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace lidardet::test

// Skips the current test with a reason when a shared data file is missing.
#define LIDARDET_REQUIRE_SHARED(path)                                                     \
  do {                                                                                    \
    if (!::lidardet::test::exists(path))                                                  \
      GTEST_SKIP() << "real sample data not found at " << (path)                          \
                   << " (the shared/ folder beside the checkout is absent)";             \
  } while (0)
