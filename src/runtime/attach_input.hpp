// `start -a -i`: cove's stdin (or terminal) to a detached container, through its monitor's
// attach socket (attach_socket.hpp), while `start` prints the output from the container's log,
// which has everything from the start (a connection made after the start would miss the first
// output). What the monitor sends on the socket is read and dropped, so it never drops this
// client as too slow.
#pragma once

#include "runtime/detach_keys.hpp"
#include "runtime/signals.hpp"
#include "util/fd.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace runtime {

class AttachInput {
public:
  // Connects to the monitor of the container in `container_dir` (`name` for messages); with
  // `tty`, sends cove's terminal size now and on SIGWINCH. Without `tty`, a set `forward` gets
  // the signals cove receives (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2), as Docker's
  // sig-proxy. Throws util::Error when the monitor does not accept attachments.
  AttachInput(const std::filesystem::path& container_dir, const std::string& name, bool tty,
              const DetachKeys& keys, std::function<void(int)> forward = {});

  // Waits up to `timeout` for input and passes it on; false once the user typed the detach keys.
  // After the monitor closed the connection (the run ended) it only waits.
  bool pump(std::chrono::milliseconds timeout);
  bool detached() const noexcept { return m_keys.detached(); }

  // After the run ended: waits (up to 10 s) until the monitor closes the connection and returns
  // the exit code it sent (nullopt when it sent none).
  std::optional<int> exit_code();

private:
  bool pass_input();
  bool drop_output();

  util::UniqueFd m_socket;
  bool m_tty;
  bool m_stdin_open = true;
  DetachScanner m_keys;
  std::optional<SignalFd> m_signals;
  std::function<void(int)> m_forward;
  std::optional<int> m_exit_code;
};

} // namespace runtime
