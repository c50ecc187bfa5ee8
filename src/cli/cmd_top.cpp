// cove top: the processes of a running container, as Docker shows them: the host's ps (with the
// given ps options, default -ef) restricted to the processes in the container's pid namespace.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/top_table.hpp"

#include "runtime/container_procs.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <sys/wait.h>

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct TopFlags {
  std::vector<std::string> container_and_options; // for --help only
};

// Runs ps; nullopt when it fails (the caller may retry without options it rejected).
std::optional<std::string> run_ps(const std::vector<std::string>& argv, std::string& error) {
  util::Subprocess::Options options;
  options.capture_stdout = true;
  util::Subprocess ps = util::Subprocess::spawn(argv, options);
  int status = ps.wait();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return ps.out();
  error = util::cat(ps.command_line(), ": ", util::describe_status(status), ": ",
                    util::trim(ps.err()));
  return std::nullopt;
}

int top(const Invocation& inv) {
  if (inv.command_words.empty())
    throw util::Error("top: a container is required: cove top CONTAINER [ps OPTIONS]");
  std::vector<std::string> ps_args(inv.command_words.begin() + 1, inv.command_words.end());
  if (ps_args.empty())
    ps_args = {"-ef"};
  storage::ContainerStore containers = host_containers(inv);
  ContainerView view = view_of(containers, find_container(containers, inv.command_words.front()));
  if (view.state.status != runtime::Status::running)
    throw util::Error(util::cat("container ", view.record.name, " is not running"));
  std::vector<pid_t> pids = runtime::container_pids(view.state.process);
  // As Docker: ask ps for just these pids (-q), and when ps refuses that with the options given
  // (forest listings), list everything and filter.
  std::vector<std::string> argv{"ps"};
  argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  std::string pid_list;
  for (pid_t pid : pids)
    pid_list += util::cat(pid_list.empty() ? "" : ",", pid);
  std::vector<std::string> quick = argv;
  quick.insert(quick.end(), {"-q", pid_list});
  std::string error;
  std::optional<std::string> output = run_ps(quick, error);
  if (!output)
    output = run_ps(argv, error);
  if (!output)
    throw util::Error(util::cat("top: ", error));
  std::cout << format_process_table(filter_ps_output(*output, pids));
  return 0;
}

} // namespace

CLI::App* add_top_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<TopFlags>();
  CLI::App* cmd = parent.add_subcommand("top", "Show the processes of a running container");
  // Only for --help: split_command_args hands CONTAINER and the ps options over without CLI11.
  cmd->add_option("CONTAINER", flags->container_and_options, "Container, then ps options")
      ->type_name("[ps OPTIONS]");
  cmd->callback([flags, &inv] { inv.action = [&inv] { return top(inv); }; });
  return cmd;
}

} // namespace cli
