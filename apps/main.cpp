// lidardet: one binary, one subcommand per job (detect, eval, simulate, render, bench, ...).
#include <cstdio>
#include <map>
#include <memory>

#include "command.hpp"
#include "core/error.hpp"

namespace lidardet::cli {
namespace {
struct Entry {
  std::string help;
  CommandSetup setup;
};
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> r;
  return r;
}
}  // namespace

bool register_command(const std::string& name, const std::string& help, CommandSetup setup) {
  registry()[name] = {help, std::move(setup)};
  return true;
}
}  // namespace lidardet::cli

int main(int argc, char** argv) {
  CLI::App app{"lidardet: 3D object detection in LiDAR point clouds (FlatFormer, LION), with "
               "KITTI and Waymo evaluation"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lidardet 0.1.0");
  for (auto& [name, entry] : lidardet::cli::registry()) {
    CLI::App* sub = app.add_subcommand(name, entry.help);
    entry.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const lidardet::Error& e) {
    std::fprintf(stderr, "lidardet: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lidardet: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
