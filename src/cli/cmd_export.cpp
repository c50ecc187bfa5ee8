// cove export: a container's whole filesystem as a tar, on stdout or in a file.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/container_copy.hpp"
#include "runtime/container_root.hpp"
#include "runtime/control.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>

namespace cli {

namespace {

struct ExportFlags {
  std::string output;
  std::string name;
};

int export_container(const Invocation& inv, const ExportFlags& flags) {
  if (flags.output.empty() && ::isatty(STDOUT_FILENO))
    throw util::Error("export: refusing to write a tar to a terminal: use -o FILE or redirect");
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, flags.name);
  runtime::ContainerState state = runtime::refresh_state(containers, record);
  if (state.status != runtime::Status::running)
    runtime::wait_stopped(containers, record, std::chrono::seconds(10)); // its monitor unmounts
  runtime::ContainerRoot root = runtime::ContainerRoot::locate(record, state);
  enter_userns(inv);
  storage::Store store(storage_root(inv.global));
  runtime::RuntimeOptions options;
  options.driver = driver_override(inv.global);
  root.open(store, options, record);
  util::UniqueFd file;
  if (!flags.output.empty()) {
    file.reset(::open(flags.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file)
      util::throw_errno(util::cat("create ", util::quote(flags.output)));
  }
  runtime::export_tree(root.fd(), file ? file.get() : STDOUT_FILENO);
  if (file && ::fsync(file.get()) < 0)
    util::throw_errno(util::cat("write ", util::quote(flags.output)));
  return 0;
}

} // namespace

CLI::App* add_export_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = parent.add_subcommand("export", "Export a container's filesystem as a tar archive");
  cmd->add_option("-o,--output", flags->output, "Write to this file instead of stdout");
  cmd->add_option("CONTAINER", flags->name, "Container name or id")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return export_container(inv, *flags); }; });
  return cmd;
}

} // namespace cli
