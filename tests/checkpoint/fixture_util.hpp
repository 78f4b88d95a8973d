// Helpers shared by the checkpoint tests: fixture paths, expected.json, hex.
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/test_paths.hpp"

namespace lidardet::test {

inline std::string ckpt_fixture(const std::string& rel) {
  return source_dir() + "/tests/fixtures/checkpoint/" + rel;
}

// tests/fixtures/checkpoint/expected.json, written by tools/fixtures/make_checkpoint_fixtures.py
// from what torch.load itself returns.
inline const nlohmann::json& ckpt_expected() {
  static const nlohmann::json j = [] {
    std::ifstream in(ckpt_fixture("expected.json"));
    return nlohmann::json::parse(in);
  }();
  return j;
}

inline std::string to_hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

}  // namespace lidardet::test
