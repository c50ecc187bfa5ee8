// The `cove` command line: global flags, subcommand dispatch, and the one top-level catch.
#include "cli/app.hpp"

#include "cli/arg_scan.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/run_args.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

namespace cli {

namespace {

// Exit code for usage and tool errors, as Docker and podman use it.
constexpr int exit_tool_error = 125;

void add_global_flags(CLI::App& app, GlobalOptions& global) {
  // Global flags are accepted after the command too (podman's persistent flags); later
  // occurrences win.
  app.fallthrough();
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--root", global.root, "Storage root (default $XDG_DATA_HOME/cove/storage)");
  app.add_option("--runroot", global.runroot, "Runtime state directory");
  app.add_option("--log-level", global.log_level, "Log level: error, warn, info or debug");
  app.add_option("--storage-driver", global.storage_driver,
                 "Rootfs driver: overlay, fuse-overlayfs or copy (default: probed)")
      ->envname("COVE_STORAGE_DRIVER");
  app.add_flag("-v,--version", global.version, "Print the version and exit");
}

void add_commands(CLI::App& app, Invocation& inv) {
  add_run_command(app, inv);
  add_pull_command(app, inv);
  add_build_command(app, inv);
  add_images_command(app, inv, "images");
  add_rmi_command(app, inv, "rmi");
  add_inspect_command(app, inv);
  add_version_command(app, inv);
  add_info_command(app, inv);
  add_ps_command(app, inv, "ps");
  add_logs_command(app, inv);
  add_stop_command(app, inv);
  add_kill_command(app, inv);
  add_wait_command(app, inv);
  add_rm_command(app, inv, "rm");
  add_exec_command(app, inv);
  add_create_command(app, inv);
  add_start_command(app, inv);
  add_restart_command(app, inv);
  add_cp_command(app, inv);
  add_diff_command(app, inv);
  add_export_command(app, inv);
  add_commit_command(app, inv);
  add_attach_command(app, inv);
  add_rename_command(app, inv);
  add_top_command(app, inv);
  add_port_command(app, inv);
  add_save_command(app, inv);
  add_pause_command(app, inv);
  add_unpause_command(app, inv);
  add_container_command(app, inv);
  add_volume_command(app, inv);
  add_network_command(app, inv);
  CLI::App* image = app.add_subcommand("image", "Manage images");
  add_images_command(*image, inv, "ls")->alias("list");
  add_rmi_command(*image, inv, "rm");
  add_inspect_command(*image, inv);
  add_pull_command(*image, inv);
  add_save_command(*image, inv);
}

// "cove image ls" for the deepest subcommand parsed, for usage hints.
std::string parsed_command(const CLI::App& app) {
  std::string name = "cove";
  const CLI::App* current = &app;
  for (;;) {
    auto subs = current->get_subcommands([](const CLI::App* sub) { return sub->parsed(); });
    if (subs.empty())
      return name;
    current = subs.front();
    name += " " + current->get_name();
  }
}

// Parses argv; returns an exit code when cove should stop (help, version, usage error).
std::optional<int> parse(CLI::App& app, Invocation& inv) {
  std::vector<std::string> args(inv.argv + std::min(inv.argc, 1), inv.argv + inv.argc);
  SplitArgs split = split_command_args(app, std::move(args), run_scan_rules());
  inv.command_words = std::move(split.command);
  std::reverse(split.options.begin(), split.options.end()); // CLI11 parses from the back
  try {
    app.parse(split.options);
  } catch (const CLI::Success& e) { // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "cove: error: " << e.what() << "\nSee '" << parsed_command(app) << " --help'.\n";
    return exit_tool_error;
  }
  if (inv.global.version) {
    std::cout << "cove version " << COVE_VERSION << '\n';
    return 0;
  }
  if (!inv.action) {
    std::cerr << "cove: error: missing command '" << parsed_command(app)
              << " COMMAND'\nTry '" << parsed_command(app) << " --help' for more information.\n";
    return exit_tool_error;
  }
  return std::nullopt;
}

} // namespace

int run(int argc, char** argv) {
  Invocation inv;
  inv.argc = argc;
  inv.argv = argv;
  try {
    CLI::App app{"cove: rootless, daemonless containers", "cove"};
    add_global_flags(app, inv.global);
    add_commands(app, inv);
    if (std::optional<int> done = parse(app, inv))
      return *done;
    if (!inv.global.log_level.empty())
      util::log::set_level(util::log::parse_level(inv.global.log_level));
    driver_override(inv.global); // reject a bad --storage-driver before any work
    return inv.action();
  } catch (const std::exception& e) {
    std::cerr << "cove: error: " << e.what() << std::endl;
    return exit_tool_error;
  }
}

} // namespace cli
