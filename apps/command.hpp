// Subcommands register themselves here (one file per subcommand, apps/cmd_<name>.cpp), so that
// adding a command never touches main.cpp.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace lidardet::cli {

// setup(sub) adds the options of the subcommand `sub` and sets its callback. Callbacks report
// bad input by throwing lidardet::Error; main prints it and exits non-zero.
using CommandSetup = std::function<void(CLI::App& sub)>;

bool register_command(const std::string& name, const std::string& help, CommandSetup setup);

}  // namespace lidardet::cli

// Use at namespace scope in a cmd_*.cpp file: LIDARDET_COMMAND(simulate, "help", setup_fn).
#define LIDARDET_COMMAND(name, help, setup) \
  static const bool lidardet_cmd_registered_##name = ::lidardet::cli::register_command(#name, help, setup)
// A nested command, `lidardet parent child`: LIDARDET_SUBCOMMAND(eval, kitti, "help", setup_fn).
// The parent is created on demand, so `bench voxel` and `bench detect` may live in different files.
#define LIDARDET_SUBCOMMAND(parent, child, help, setup)              \
  static const bool lidardet_cmd_registered_##parent##_##child =     \
      ::lidardet::cli::register_command(#parent " " #child, help, setup)
