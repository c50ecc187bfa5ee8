// cove cp: files between a container (running or not) and the host, or a tar stream ("-").
// A running container's root is opened from the host's namespaces first (see ContainerRoot);
// the copy itself runs in cove's user namespace, where every id of the container is mapped.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/container_copy.hpp"
#include "runtime/container_root.hpp"
#include "runtime/control.hpp"
#include "runtime/copy_plan.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <unistd.h>

#include <memory>

namespace cli {

namespace {

struct CpFlags {
  bool archive = false;
  bool follow_link = false;
  std::string src, dst;
};

int cp(const Invocation& inv, const CpFlags& flags) {
  runtime::CopyArg src = runtime::parse_copy_arg(flags.src);
  runtime::CopyArg dst = runtime::parse_copy_arg(flags.dst);
  if (src.container && dst.container)
    throw util::Error("cp: copying between containers is not supported");
  if (!src.container && !dst.container)
    throw util::Error("cp: one of the paths must be in a container (CONTAINER:PATH)");
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record =
      find_container(containers, src.container ? *src.container : *dst.container);
  runtime::ContainerState state = runtime::refresh_state(containers, record);
  if (state.status != runtime::Status::running)
    runtime::wait_stopped(containers, record, std::chrono::seconds(10)); // its monitor unmounts
  runtime::ContainerRoot root = runtime::ContainerRoot::locate(record, state);
  enter_userns(inv);
  storage::Store store(storage_root(inv.global));
  runtime::RuntimeOptions options;
  options.driver = driver_override(inv.global);
  root.open(store, options, record);

  util::UniqueFd host_root = runtime::open_host_root();
  auto location = [&](const runtime::CopyArg& arg) {
    if (arg.container)
      return runtime::CopyLocation{root.fd(), arg.path, "container " + record.name};
    return runtime::CopyLocation{host_root.get(), runtime::host_path(arg.path), "the host"};
  };
  runtime::CopyOptions copy{flags.archive ? runtime::CopyOwners::source
                                              : runtime::CopyOwners::creator,
                                flags.follow_link};
  if (src.stream())
    runtime::copy_from_stream(STDIN_FILENO, location(dst), copy);
  else if (dst.stream())
    runtime::copy_to_stream(location(src), STDOUT_FILENO, copy);
  else
    runtime::copy_path(location(src), location(dst), copy);
  return 0;
}

} // namespace

CLI::App* add_cp_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<CpFlags>();
  CLI::App* cmd = parent.add_subcommand(
      "cp", "Copy files between a container and the host (\"-\": a tar stream on stdin/stdout)");
  cmd->add_flag("-a,--archive", flags->archive,
                "Keep owners (default: copies belong to the container's root, or to you on the host)");
  cmd->add_flag("-L,--follow-link", flags->follow_link, "Copy what a source symlink points to");
  cmd->add_option("SRC", flags->src, "CONTAINER:PATH, a host path, or -")->required();
  cmd->add_option("DEST", flags->dst, "CONTAINER:PATH, a host path, or -")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return cp(inv, *flags); }; });
  return cmd;
}

} // namespace cli
