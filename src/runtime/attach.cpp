#include "runtime/attach.hpp"

#include "runtime/attach_socket.hpp"
#include "runtime/control.hpp"
#include "runtime/detach_keys.hpp"
#include "runtime/signals.hpp"
#include "runtime/spec.hpp"
#include "runtime/terminal.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>

namespace runtime {

namespace {

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno("write the container's output");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// One attachment: the socket, what to relay, and how it ended.
class Session {
public:
  Session(util::UniqueFd socket, bool send_stdin, bool tty, const DetachKeys& keys)
      : m_socket(std::move(socket)), m_send_stdin(send_stdin), m_tty(tty), m_keys(keys) {}

  // Relays until the run ends (its exit code), the user detaches or the monitor goes (nullopt,
  // with detached() telling which).
  std::optional<int> run(SignalFd& signals, const std::function<void(int)>& forward) {
    int terminal = own_terminal();
    if (m_tty)
      send_window_size(m_socket.get(), terminal);
    for (;;) {
      std::vector<pollfd> fds{{m_socket.get(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
      if (m_send_stdin)
        fds.push_back({STDIN_FILENO, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR)
          continue;
        util::throw_errno("poll the attach socket");
      }
      if (fds[1].revents != 0)
        while (std::optional<int> sig = signals.read()) {
          if (*sig == SIGWINCH)
            send_window_size(m_socket.get(), terminal);
          else
            forward(*sig);
        }
      if (fds.size() > 2 && fds[2].revents != 0 && !pass_input())
        return std::nullopt;
      if (fds[0].revents != 0)
        if (std::optional<std::optional<int>> end = receive())
          return *end;
    }
  }

  bool detached() const noexcept { return m_keys.detached(); }

private:
  // Reads cove's stdin into the container; false when the user detached.
  bool pass_input() {
    StdinForward result = forward_stdin(m_socket.get(), m_keys);
    if (result == StdinForward::ended)
      m_send_stdin = false;
    return result != StdinForward::detached;
  }

  // Handles the monitor's packets; a value when the attachment is over (the exit code, or
  // nullopt when the monitor closed without one).
  std::optional<std::optional<int>> receive() {
    char buffer[attach_packet_max];
    for (;;) {
      AttachPacket packet = receive_attach_packet(m_socket.get(), buffer);
      if (packet.status == AttachPacket::Status::none)
        return std::nullopt;
      if (packet.status == AttachPacket::Status::closed)
        return std::optional<int>();
      switch (packet.type) {
      case AttachMessage::out:
        write_all(STDOUT_FILENO, packet.payload);
        break;
      case AttachMessage::err:
        write_all(STDERR_FILENO, packet.payload);
        break;
      case AttachMessage::exit:
        return decode_exit_code(packet.payload);
      default:
        break;
      }
    }
  }

  util::UniqueFd m_socket;
  bool m_send_stdin;
  bool m_tty;
  DetachScanner m_keys;
};

// The exit code recorded for a run whose monitor closed the connection without saying it (the
// monitor was killed, or dropped this client).
int recorded_exit_code(const storage::ContainerStore& containers,
                       storage::ContainerRecord& record) {
  if (!wait_stopped(containers, record, std::chrono::seconds(10)))
    throw util::Error(util::cat("attach to container ", record.name,
                                ": the monitor closed the connection while the container runs "
                                "(this client did not keep up with its output)"));
  return ContainerState::from_json(record.state).exit_code;
}

} // namespace

int attach_container(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                     const ContainerState& state, const AttachRequest& request) {
  if (state.status != Status::running)
    throw util::Error(util::cat("you cannot attach to a stopped container ", record.name,
                                ", start it first"));
  if (!state.detached)
    throw util::Error(util::cat("container ", record.name,
                                " runs in the foreground of another cove: attach to its terminal"));
  std::optional<util::UniqueFd> socket = connect_attach_socket(containers.dir(record.id));
  if (!socket)
    throw util::Error(util::cat("attach to container ", record.name,
                                ": its monitor does not accept attachments (",
                                std::strerror(errno), ")"));
  ContainerSpec spec = ContainerSpec::from_json(record.spec);
  bool send_stdin = request.stdin && spec.stdin_open;
  std::optional<RawMode> raw;
  if (spec.tty && send_stdin)
    raw.emplace(STDIN_FILENO);
  // Signals are the terminal's business with -t (a ^C is a byte for the container's tty).
  std::optional<SignalFd> signals;
  if (!spec.tty && request.sig_proxy)
    signals.emplace(std::initializer_list<int>{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                                               SIGWINCH});
  else
    signals.emplace(std::initializer_list<int>{SIGWINCH});
  auto forward = [&](int sig) {
    try {
      signal_container(record, state, sig);
    } catch (const std::exception& e) {
      util::log::warning("forward signal ", sig, ": ", e.what());
    }
  };
  Session session(std::move(*socket), send_stdin, spec.tty, request.detach_keys);
  std::optional<int> code = session.run(*signals, forward);
  raw.reset();
  if (session.detached())
    return 0;
  return code ? *code : recorded_exit_code(containers, record);
}

} // namespace runtime
