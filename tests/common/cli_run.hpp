// Runs the lidardet CLI binary for end-to-end tests, capturing what it prints.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "common/test_paths.hpp"

namespace lidardet::test {

struct CliRun {
  int rc = -1;      // exit status; -1 when the process did not exit normally
  std::string out;  // stdout and stderr, interleaved
};

// `lidardet ARGS`, through the shell (ARGS may hold redirections or quotes).
inline CliRun run_cli(const std::string& args) {
  const std::string cmd = cli_path() + " " + args + " 2>&1";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace lidardet::test

// Skips the current test, saying why, when the CLI has not been built.
#define LIDARDET_REQUIRE_CLI()                                                             \
  do {                                                                                     \
    if (!::lidardet::test::exists(::lidardet::test::cli_path()))                           \
      GTEST_SKIP() << "the lidardet CLI is not built at " << ::lidardet::test::cli_path(); \
  } while (0)
