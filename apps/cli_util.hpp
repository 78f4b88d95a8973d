// Small helpers shared by subcommands: a progress bar, list parsing, timing.
#pragma once
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace lidardet::cli {

// Parses "0.1,0.1,0.15" into floats; throws lidardet::Error naming the option on bad input.
inline std::vector<double> parse_list(const std::string& text, const std::string& option,
                                      std::size_t expected = 0) {
  std::vector<double> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != item.size())
      throw Error("option " + option + ": '" + item + "' is not a number (expected a comma list)");
    out.push_back(v);
    pos = end + 1;
  }
  if (expected && out.size() != expected)
    throw Error("option " + option + ": expected " + std::to_string(expected) + " values, got " +
                std::to_string(out.size()));
  return out;
}

// Where the shipped configs and default models are looked for, in order: $LIDARDET_DATA_DIR,
// the source tree, the install's data folder.
inline std::vector<std::string> model_roots() {
  std::vector<std::string> r;
  if (const char* env = std::getenv("LIDARDET_DATA_DIR")) r.push_back(env);
  r.push_back(LIDARDET_SOURCE_DIR);
  r.push_back(LIDARDET_DEFAULT_DATA_DIR);
  return r;
}

// A one-line progress bar on stderr with items per second: "[=====>    ] 12/40 3.1 fps".
class Progress {
 public:
  Progress(std::size_t total, std::string unit = "frames")
      : total_(total), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}
  void update(std::size_t done) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const int width = 30;
    const int filled = total_ ? static_cast<int>(width * done / total_) : width;
    std::string bar(filled, '=');
    if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
    std::fprintf(stderr, "\r[%s] %zu/%zu %s %.1f/s", bar.c_str(), done, total_, unit_.c_str(),
                 secs > 0 ? done / secs : 0.0);
    if (done >= total_) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::size_t total_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace lidardet::cli
