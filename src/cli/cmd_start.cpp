// cove create and start: a container made ready without running it, and started later under its
// own monitor (as run -d does); start -a then follows its output and returns its exit code.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"
#include "cli/run_args.hpp"

#include "runtime/control.hpp"
#include "runtime/monitor.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct StartFlags {
  bool attach = false;
  std::vector<std::string> names;
};

int create(const Invocation& inv, RunFlags flags) {
  flags.image_and_command = inv.command_words;
  runtime::RunRequest request = to_run_request(flags);
  if (request.rm)
    throw util::Error("create: --rm is only supported with run");
  auto store = open_store(inv);
  std::cout << runtime::create(*store, request).id << '\n';
  return 0;
}

int start(const Invocation& inv, const StartFlags& flags) {
  if (flags.attach && flags.names.size() != 1)
    throw util::Error("start: -a takes exactly one container");
  auto store = open_store(inv);
  runtime::RuntimeOptions options = make_runtime_options(inv.global);
  const storage::ContainerStore& containers = store->containers();
  std::optional<storage::ContainerRecord> last;
  off_t log_offset = 0;
  for_each_name(flags.names, [&](const std::string& name) {
    storage::ContainerRecord record = find_container(containers, name);
    runtime::ContainerState state = runtime::refresh_state(containers, record);
    log_offset = log_size(containers, record.id);
    if (state.status != runtime::Status::running) {
      // A monitor that recorded the last exit may still be unmounting.
      runtime::wait_stopped(containers, record, std::chrono::seconds(10));
      runtime::start_detached(*store, options, record);
    }
    if (!flags.attach)
      std::cout << name << '\n' << std::flush;
    last = std::move(record);
  });
  if (!flags.attach || !last)
    return 0;
  print_logs(containers, *last, {true, false, std::nullopt, log_offset});
  runtime::wait_stopped(containers, *last, std::nullopt);
  return runtime::ContainerState::from_json(last->state).exit_code;
}

} // namespace

CLI::App* add_create_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = parent.add_subcommand("create", "Create a container without starting it");
  add_run_flags(*cmd, *flags);
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return create(inv, *flags); }; });
  return cmd;
}

CLI::App* add_start_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<StartFlags>();
  CLI::App* cmd = parent.add_subcommand("start", "Start created or stopped containers");
  cmd->add_flag("-a,--attach", flags->attach, "Follow the output and return the exit code");
  cmd->add_option("CONTAINER", flags->names, "Container names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return start(inv, *flags); }; });
  return cmd;
}

} // namespace cli
