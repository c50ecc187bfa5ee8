// cove attach: a running detached container's output from now on, and its stdin (when started
// with -i) or terminal (-t), through its monitor; the detach keys (Ctrl-P Ctrl-Q) detach.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/attach.hpp"

#include <memory>

namespace cli {

namespace {

struct AttachFlags {
  bool no_stdin = false;
  bool sig_proxy = true;
  std::string detach_keys = "ctrl-p,ctrl-q";
  std::string name;
};

int attach(const Invocation& inv, const AttachFlags& flags) {
  runtime::AttachRequest request{!flags.no_stdin, flags.sig_proxy,
                                 runtime::DetachKeys::parse(flags.detach_keys)};
  storage::ContainerStore containers = host_containers(inv);
  ContainerView view = view_of(containers, find_container(containers, flags.name));
  return runtime::attach_container(containers, view.record, view.state, request);
}

} // namespace

CLI::App* add_attach_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<AttachFlags>();
  CLI::App* cmd = parent.add_subcommand("attach", "Attach to a running container's stdio");
  cmd->add_flag("--no-stdin", flags->no_stdin, "Do not attach stdin");
  cmd->add_flag("--sig-proxy", flags->sig_proxy,
                "Forward received signals to the container (default true; not with -t)");
  cmd->add_option("--detach-keys", flags->detach_keys,
                  "Keys that detach: ctrl-<key> or characters, comma-separated (default "
                  "ctrl-p,ctrl-q; \"\" disables)");
  cmd->add_option("CONTAINER", flags->name, "Container name or id")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return attach(inv, *flags); }; });
  return cmd;
}

} // namespace cli
