#include "runtime/attach_input.hpp"

#include "runtime/attach_socket.hpp"
#include "runtime/terminal.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace runtime {

AttachInput::AttachInput(const std::filesystem::path& container_dir, const std::string& name,
                         bool tty, const DetachKeys& keys, std::function<void(int)> forward)
    : m_tty(tty), m_keys(keys), m_forward(tty ? std::function<void(int)>() : std::move(forward)) {
  std::optional<util::UniqueFd> socket = connect_attach_socket(container_dir);
  if (!socket)
    throw util::Error(util::cat("attach to container ", name,
                                ": its monitor does not accept attachments (",
                                std::strerror(errno), ")"));
  m_socket = std::move(*socket);
  if (m_tty) {
    m_signals.emplace(std::initializer_list<int>{SIGWINCH});
    send_window_size(m_socket.get(), own_terminal());
  } else if (m_forward) {
    m_signals.emplace(std::initializer_list<int>{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2});
  }
}

bool AttachInput::pump(std::chrono::milliseconds timeout) {
  // A closed connection (the run ended) is polled no more: -1 is skipped by poll.
  std::vector<pollfd> fds{{m_socket ? m_socket.get() : -1, POLLIN, 0}};
  if (m_stdin_open && m_socket)
    fds.push_back({STDIN_FILENO, POLLIN, 0});
  if (m_signals)
    fds.push_back({m_signals->fd(), POLLIN, 0});
  if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) < 0) {
    if (errno == EINTR)
      return true;
    util::throw_errno("poll the attach socket");
  }
  if (m_signals && fds.back().fd == m_signals->fd() && fds.back().revents != 0)
    while (std::optional<int> sig = m_signals->read()) {
      if (*sig != SIGWINCH)
        m_forward(*sig);
      else if (m_socket)
        send_window_size(m_socket.get(), own_terminal());
    }
  if (m_stdin_open && m_socket && fds[1].revents != 0 && !pass_input())
    return false;
  if (fds[0].revents != 0 && !drop_output())
    m_socket.reset();
  return true;
}

// Reads cove's stdin into the container; false when the user detached.
bool AttachInput::pass_input() {
  StdinForward result = forward_stdin(m_socket.get(), m_keys);
  if (result == StdinForward::ended)
    m_stdin_open = false;
  return result != StdinForward::detached;
}

// Reads what the monitor sent, keeping only an exit code; false once it closed the connection.
bool AttachInput::drop_output() {
  char buffer[attach_packet_max];
  for (;;) {
    AttachPacket packet = receive_attach_packet(m_socket.get(), buffer);
    if (packet.status != AttachPacket::Status::packet)
      return packet.status == AttachPacket::Status::none;
    if (packet.type == AttachMessage::exit)
      m_exit_code = decode_exit_code(packet.payload);
  }
}

std::optional<int> AttachInput::exit_code() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m_socket && std::chrono::steady_clock::now() < deadline) {
    pollfd wait{m_socket.get(), POLLIN, 0};
    if (::poll(&wait, 1, 100) > 0 && !drop_output())
      m_socket.reset();
  }
  return m_exit_code;
}

} // namespace runtime
