// cove exec: a command in a running container, inside all of its namespaces.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/arg_scan.hpp"

#include "runtime/exec.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <memory>

namespace cli {

namespace {

struct ExecFlags {
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  bool interactive = false;
  bool tty = false;
  bool detach = false;
  std::string detach_keys = "ctrl-p,ctrl-q";
  bool detach_keys_given = false;
  std::vector<std::string> container_and_command; // for --help only
};

int exec(const Invocation& inv, const ExecFlags& flags) {
  if (inv.command_words.size() < 2)
    throw util::Error("exec: a container and a command are required: cove exec [OPTIONS] "
                      "CONTAINER COMMAND [ARG...]");
  runtime::ExecRequest request;
  request.command.assign(inv.command_words.begin() + 1, inv.command_words.end());
  request.env = flags.env;
  for (const std::string& path : flags.env_files)
    request.env_files.push_back(util::read_file(path));
  request.workdir = flags.workdir;
  request.user = flags.user;
  request.interactive = flags.interactive;
  request.tty = flags.tty;
  request.detach = flags.detach;
  request.detach_keys = runtime::DetachKeys::parse(flags.detach_keys);
  if (flags.detach_keys_given && !(flags.interactive && flags.tty))
    throw util::Error("exec: --detach-keys needs -i and -t: the keys are read from the terminal");
  storage::ContainerStore containers = host_containers(inv);
  ContainerView view = view_of(containers, find_container(containers, inv.command_words.front()));
  return runtime::exec_in_container(view.record, view.state, request);
}

} // namespace

CLI::App* add_exec_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<ExecFlags>();
  CLI::App* cmd = parent.add_subcommand("exec", "Run a command in a running container");
  add_list_option(*cmd, "-e,--env", flags->env, "Set an environment variable (K=V, or K to copy it)");
  add_list_option(*cmd, "--env-file", flags->env_files, "Read environment variables from a file");
  cmd->add_option("-w,--workdir", flags->workdir, "Working directory inside the container");
  cmd->add_option("-u,--user", flags->user, "User (name or uid) and optional group: USER[:GROUP]");
  cmd->add_flag("-i,--interactive", flags->interactive, "Keep stdin open");
  cmd->add_flag("-t,--tty", flags->tty, "Allocate a pseudo-terminal");
  cmd->add_flag("-d,--detach", flags->detach, "Run the command in the background");
  CLI::Option* keys = cmd->add_option(
      "--detach-keys", flags->detach_keys,
      "With -it: keys that detach, leaving the command running: ctrl-<key> or characters, "
      "comma-separated (default ctrl-p,ctrl-q; \"\" disables)");
  // Only for --help: split_command_args hands CONTAINER and what follows over without CLI11.
  cmd->add_option("CONTAINER", flags->container_and_command, "Container, then the command")
      ->type_name("COMMAND [ARG...]");
  cmd->callback([flags, keys, &inv] {
    flags->detach_keys_given = keys->count() > 0;
    inv.action = [flags, &inv] { return exec(inv, *flags); };
  });
  return cmd;
}

} // namespace cli
