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

namespace {

// Sends one packet; false when the monitor is gone.
bool send_packet(int socket, AttachMessage type, std::string_view payload) {
  std::string packet = attach_packet(type, payload);
  for (;;) {
    if (::send(socket, packet.data(), packet.size(), MSG_NOSIGNAL) >= 0)
      return true;
    if (errno != EINTR)
      return false;
  }
}

void send_window_size(int socket) {
  winsize size{};
  int terminal = own_terminal();
  if (terminal >= 0 && ::ioctl(terminal, TIOCGWINSZ, &size) == 0)
    send_packet(socket, AttachMessage::resize, encode_window_size(size));
}

} // namespace

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
    send_window_size(m_socket.get());
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
        send_window_size(m_socket.get());
    }
  if (m_stdin_open && m_socket && fds[1].revents != 0 && !pass_input())
    return false;
  if (fds[0].revents != 0 && !drop_output())
    m_socket.reset();
  return true;
}

// Reads cove's stdin into the container; false when the user detached.
bool AttachInput::pass_input() {
  char buffer[attach_packet_max - 1];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0) { // end of input: the container keeps its stdin (Docker without stdin-once)
    m_stdin_open = false;
    return true;
  }
  std::string input = m_keys.feed(std::string_view(buffer, static_cast<size_t>(n)));
  if (!input.empty())
    send_packet(m_socket.get(), AttachMessage::input, input); // a gone monitor shows on recv
  return !m_keys.detached();
}

// Reads what the monitor sent, keeping only an exit code; false once it closed the connection.
bool AttachInput::drop_output() {
  char packet[attach_packet_max];
  for (;;) {
    ssize_t n = ::recv(m_socket.get(), packet, sizeof packet, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    if (n <= 0)
      return false;
    if (static_cast<AttachMessage>(packet[0]) == AttachMessage::exit)
      m_exit_code = decode_exit_code(std::string_view(packet + 1, static_cast<size_t>(n) - 1));
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
