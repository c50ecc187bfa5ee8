// The `cove` command line: global flags, subcommand dispatch, and the one top-level catch.
#include "cli/app.hpp"

#include "cli/arg_scan.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/run_args.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/open_file_limit.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string_view>

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

// The global flags that take a value (the word after them is not the command).
bool global_flag_takes_value(std::string_view arg) {
  return arg == "--root" || arg == "--runroot" || arg == "--log-level" ||
         arg == "--storage-driver";
}

// The command word of argv ("run" in `cove --root X run ...`), or "" when there is none.
std::string command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--")
      return "";
    if (arg.empty() || arg.front() != '-')
      return std::string(arg);
    if (global_flag_takes_value(arg))
      ++i;
  }
  return "";
}

// Builds only the command being run: a CLI11 command with its flags is a few dozen heap objects,
// and every start would otherwise build all of them. Without a known command word (`cove`,
// `cove --help`, an alias, a typo) everything is built, so help listings and CLI11's own errors
// are unchanged. A command added without `wanted` is simply always built.
void add_commands(CLI::App& app, Invocation& inv) {
  const std::string word = command_word(inv.argc, inv.argv);
  bool all = false;
  bool found = false;
  const auto wanted = [&](std::string_view name) {
    found = found || word == name;
    return all || word == name;
  };
  for (int pass = 0; pass < 2 && !found; ++pass) {
    all = pass == 1;
    if (wanted("run"))
      add_run_command(app, inv);
    if (wanted("pull"))
      add_pull_command(app, inv);
    if (wanted("build"))
      add_build_command(app, inv);
    if (wanted("images"))
      add_images_command(app, inv, "images");
    if (wanted("rmi"))
      add_rmi_command(app, inv, "rmi");
    if (wanted("inspect"))
      add_inspect_command(app, inv);
    if (wanted("version"))
      add_version_command(app, inv);
    if (wanted("info"))
      add_info_command(app, inv);
    if (wanted("ps"))
      add_ps_command(app, inv, "ps");
    if (wanted("logs"))
      add_logs_command(app, inv);
    if (wanted("stop"))
      add_stop_command(app, inv);
    if (wanted("kill"))
      add_kill_command(app, inv);
    if (wanted("wait"))
      add_wait_command(app, inv);
    if (wanted("rm"))
      add_rm_command(app, inv, "rm");
    if (wanted("exec"))
      add_exec_command(app, inv);
    if (wanted("create"))
      add_create_command(app, inv);
    if (wanted("start"))
      add_start_command(app, inv);
    if (wanted("restart"))
      add_restart_command(app, inv);
    if (wanted("attach"))
      add_attach_command(app, inv);
    if (wanted("rename"))
      add_rename_command(app, inv);
    if (wanted("top"))
      add_top_command(app, inv);
    if (wanted("port"))
      add_port_command(app, inv);
    if (wanted("cp"))
      add_cp_command(app, inv);
    if (wanted("diff"))
      add_diff_command(app, inv);
    if (wanted("export"))
      add_export_command(app, inv);
    if (wanted("save"))
      add_save_command(app, inv);
    if (wanted("commit"))
      add_commit_command(app, inv);
    if (wanted("pause"))
      add_pause_command(app, inv);
    if (wanted("unpause"))
      add_unpause_command(app, inv);
    if (wanted("container"))
      add_container_command(app, inv);
    if (wanted("volume"))
      add_volume_command(app, inv);
    if (wanted("network"))
      add_network_command(app, inv);
    if (wanted("image")) {
      CLI::App* image = app.add_subcommand("image", "Manage images");
      add_images_command(*image, inv, "ls")->alias("list");
      add_rmi_command(*image, inv, "rm");
      add_inspect_command(*image, inv);
      add_pull_command(*image, inv);
      add_save_command(*image, inv);
    }
  }
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
  util::raise_open_file_limit(); // for the relays in cove and its monitors
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
