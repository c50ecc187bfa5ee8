#include "runtime/attach_server.hpp"

#include "runtime/attach_socket.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace runtime {

namespace {

// Past this much unread input the monitor stops reading clients until the container catches up.
constexpr size_t max_pending_input = 256 * 1024;

bool has_fd(const std::vector<pollfd>& fds, int fd, short events) {
  return std::any_of(fds.begin(), fds.end(),
                     [&](const pollfd& p) { return p.fd == fd && (p.revents & events) != 0; });
}

} // namespace

AttachServer::AttachServer(const std::filesystem::path& container_dir)
    : m_socket_path(attach_socket_path(container_dir)),
      m_listener(listen_attach_socket(container_dir)) {
  ::signal(SIGPIPE, SIG_IGN);
}

AttachServer::~AttachServer() {
  m_clients.clear();
  m_listener.reset();
  ::unlink(m_socket_path.c_str());
}

void AttachServer::begin_run(int input_fd, int tty_fd) {
  m_input_fd = input_fd;
  m_tty_fd = tty_fd;
  m_input.clear();
}

void AttachServer::add_poll_fds(std::vector<pollfd>& fds) const {
  fds.push_back({m_listener.get(), POLLIN, 0});
  bool read_clients = m_input.size() < max_pending_input;
  for (const util::UniqueFd& client : m_clients)
    fds.push_back({client.get(), static_cast<short>(read_clients ? POLLIN : 0), 0});
  if (m_input_fd >= 0 && !m_input.empty())
    fds.push_back({m_input_fd, POLLOUT, 0});
}

void AttachServer::handle(const std::vector<pollfd>& fds) {
  if (has_fd(fds, m_listener.get(), POLLIN))
    accept_clients();
  std::erase_if(m_clients, [&](const util::UniqueFd& client) {
    return has_fd(fds, client.get(), POLLIN | POLLHUP | POLLERR) && !serve_client(client.get());
  });
  if (m_input_fd >= 0 && !m_input.empty())
    write_input();
}

void AttachServer::accept_clients() {
  for (;;) {
    int fd = ::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR)
        util::log::warning("accept an attach client: ", std::strerror(errno));
      if (errno != EINTR)
        return;
      continue;
    }
    int size = 1 << 20; // room for bursts of output (capped by net.core.wmem_max)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    m_clients.emplace_back(fd);
  }
}

bool AttachServer::serve_client(int fd) {
  char buffer[attach_packet_max];
  for (;;) {
    AttachPacket packet = receive_attach_packet(fd, buffer);
    if (packet.status != AttachPacket::Status::packet)
      return packet.status == AttachPacket::Status::none;
    switch (packet.type) {
    case AttachMessage::input:
      if (m_input_fd >= 0)
        m_input.append(packet.payload);
      break;
    case AttachMessage::resize:
      if (auto size = decode_window_size(packet.payload); size && m_tty_fd >= 0)
        ::ioctl(m_tty_fd, TIOCSWINSZ, &*size);
      break;
    default:
      break; // not a client message: ignored
    }
    if (m_input.size() >= max_pending_input)
      return true;
  }
}

void AttachServer::write_input() {
  while (!m_input.empty()) {
    ssize_t n = ::write(m_input_fd, m_input.data(), m_input.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n < 0) { // the container closed its stdin or exited
      m_input.clear();
      return;
    }
    m_input.erase(0, static_cast<size_t>(n));
  }
}

void AttachServer::broadcast(LogStream stream, std::string_view data) {
  if (m_clients.empty())
    return;
  std::string packet = attach_packet(stream == LogStream::out ? AttachMessage::out
                                                              : AttachMessage::err,
                                     data.substr(0, attach_packet_max - 1));
  std::erase_if(m_clients, [&](const util::UniqueFd& client) {
    if (::send(client.get(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
      return false;
    if (errno == EAGAIN)
      util::log::warning("an attached client does not keep up with the output: disconnected");
    return true;
  });
  if (data.size() > attach_packet_max - 1)
    broadcast(stream, data.substr(attach_packet_max - 1));
}

void AttachServer::end_run(int exit_code) {
  std::string packet = attach_packet(AttachMessage::exit, encode_exit_code(exit_code));
  for (const util::UniqueFd& client : m_clients)
    ::send(client.get(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  m_clients.clear();
  m_input_fd = -1;
  m_tty_fd = -1;
  m_input.clear();
}

} // namespace runtime
