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
  // Names with a space ("eval kitti") nest under their parent; the map's order puts parents
  // ("eval") before children ("eval kitti"). A parent that nobody registered is made here.
  std::map<std::string, CLI::App*> made;
  for (auto& [name, entry] : lidardet::cli::registry()) {
    CLI::App* parent = &app;
    std::string leaf = name;
    if (auto sp = name.rfind(' '); sp != std::string::npos) {
      const std::string parent_name = name.substr(0, sp);
      leaf = name.substr(sp + 1);
      auto it = made.find(parent_name);
      if (it == made.end()) {
        CLI::App* p = app.add_subcommand(parent_name, parent_name + " commands");
        p->require_subcommand(1);
        it = made.emplace(parent_name, p).first;
      }
      parent = it->second;
    }
    CLI::App* sub = parent->add_subcommand(leaf, entry.help);
    entry.setup(*sub);
    made[name] = sub;
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
