#include "runtime/sync_channel.hpp"

#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/fixed_text.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runtime {


SyncChannel::SyncChannel() {
  int fds[2];
  util::check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), "socketpair");
  m_parent.reset(fds[0]);
  m_child.reset(fds[1]);
}

void SyncChannel::send_go() {
  SyncMessage message;
  message.type = SyncMessage::Type::go;
  ssize_t n;
  do {
    n = ::send(m_parent.get(), &message, sizeof message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  // EPIPE means the child already died; its wait status tells the story.
  if (n < 0 && errno != EPIPE && errno != ECONNRESET)
    util::throw_errno("send go to the container process");
}

std::optional<ChildReport> SyncChannel::wait_exec() {
  for (;;) {
    SyncMessage message;
    util::UniqueFd passed;
    ssize_t n = util::receive_with_fd(m_parent.get(), &message, sizeof message, passed);
    if (n < 0 && errno != ECONNRESET)
      util::throw_errno("read from the container process");
    if (n <= 0)
      return std::nullopt;
    if (static_cast<size_t>(n) != sizeof message)
      throw util::Error("container process: malformed setup report");
    if (message.type == SyncMessage::Type::console && passed) {
      m_console = std::move(passed);
      continue;
    }
    if (message.type == SyncMessage::Type::socket_listener && passed) {
      m_socket_listener = std::move(passed);
      continue;
    }
    if (message.type == SyncMessage::Type::relay_listener && passed) {
      m_relay_listener = std::move(passed);
      continue;
    }
    if (message.type != SyncMessage::Type::error)
      throw util::Error("container process: malformed setup report");
    message.what[sizeof message.what - 1] = '\0';
    return ChildReport{message.error, message.stage, message.what};
  }
}

bool child_wait_go(int fd) noexcept {
  SyncMessage message;
  ssize_t n;
  do {
    n = ::recv(fd, &message, sizeof message, 0);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof message) && message.type == SyncMessage::Type::go;
}

void child_report(int fd, int error, ChildStage stage, const char* what) noexcept {
  SyncMessage message;
  message.type = SyncMessage::Type::error;
  message.error = error;
  message.stage = stage;
  util::append_text(message.what, 0, sizeof message.what, what);
  while (::send(fd, &message, sizeof message, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

namespace {

bool send_fd(int fd, SyncMessage::Type type, int passed) noexcept {
  SyncMessage message;
  message.type = type;
  return util::send_with_fd(fd, &message, sizeof message, passed);
}

} // namespace

bool child_send_console(int fd, int master) noexcept {
  return send_fd(fd, SyncMessage::Type::console, master);
}

bool child_send_socket_listener(int fd, int listener) noexcept {
  return send_fd(fd, SyncMessage::Type::socket_listener, listener);
}

bool child_send_relay_listener(int fd, int relay) noexcept {
  return send_fd(fd, SyncMessage::Type::relay_listener, relay);
}

void child_report_path(int fd, int error, ChildStage stage, const char* prefix,
                       const char* path) noexcept {
  char what[sizeof(SyncMessage::what)];
  size_t len = util::append_text(what, 0, sizeof what, prefix);
  len = util::append_text(what, len, sizeof what, " \"");
  len = util::append_text(what, len, sizeof what, path);
  util::append_text(what, len, sizeof what, "\"");
  child_report(fd, error, stage, what);
}

} // namespace runtime
