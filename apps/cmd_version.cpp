// `lidardet version`: what was built (backends, optional adapters).
#include <cstdio>

#include "command.hpp"

namespace {
void setup(CLI::App& sub) {
  sub.callback([] {
#ifdef LIDARDET_HAVE_CUDA
    const char* cuda = "yes";
#else
    const char* cuda = "no";
#endif
    std::printf("lidardet 0.1.0\ncuda backend: %s\n", cuda);
  });
}
}  // namespace

LIDARDET_COMMAND(version, "Print the version and the backends that were built", setup);
