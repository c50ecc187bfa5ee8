#include "cli/attached_start.hpp"

#include "cli/container_access.hpp"

#include "runtime/attach_input.hpp"
#include "runtime/control.hpp"
#include "runtime/spec.hpp"
#include "runtime/terminal.hpp"
#include "util/log.hpp"

#include <unistd.h>

#include <optional>

namespace cli {

int follow_started(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                   const FollowStart& follow) {
  runtime::ContainerSpec spec = runtime::ContainerSpec::from_json(record.spec);
  LogOptions options{true, false, std::nullopt, follow.log_offset, {}, {}};
  auto forward = [&](int sig) {
    try {
      runtime::signal_container(record, runtime::refresh_state(containers, record), sig);
    } catch (const std::exception& e) {
      util::log::warning("forward signal ", sig, ": ", e.what());
    }
  };
  std::optional<runtime::AttachInput> input;
  std::optional<runtime::RawMode> raw;
  if (follow.interactive && spec.stdin_open) {
    input.emplace(containers.dir(record.id), record.name, spec.tty, follow.keys, forward);
    if (spec.tty)
      raw.emplace(STDIN_FILENO);
    options.wait_more = [&] { return input->pump(std::chrono::milliseconds(50)); };
  }
  print_logs(containers, record, options);
  raw.reset();
  if (input && input->detached())
    return 0;
  std::optional<int> sent = input ? input->exit_code() : std::nullopt;
  runtime::wait_stopped(containers, record, std::nullopt);
  if (!containers.lookup(record.id) && sent) // removed by its monitor (--rm)
    return *sent;
  return runtime::ContainerState::from_json(record.state).exit_code;
}

} // namespace cli
