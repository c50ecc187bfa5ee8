#include "runtime/attach_socket.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runtime {

namespace {

constexpr std::string_view socket_name = "attach.sock";

util::UniqueFd open_dir(const std::filesystem::path& dir) {
  util::UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(dir.string())));
  return fd;
}

// The socket's address through the directory descriptor (always short).
sockaddr_un address_in(int dir_fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = util::cat("/proc/self/fd/", dir_fd, "/", socket_name);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

util::UniqueFd new_socket(int extra_flags) {
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | extra_flags, 0));
  if (!fd)
    util::throw_errno("create the attach socket");
  return fd;
}

} // namespace

std::filesystem::path attach_socket_path(const std::filesystem::path& container_dir) {
  return container_dir / socket_name;
}

util::UniqueFd listen_attach_socket(const std::filesystem::path& container_dir) {
  util::UniqueFd dir = open_dir(container_dir);
  util::UniqueFd fd = new_socket(SOCK_NONBLOCK);
  ::unlinkat(dir.get(), std::string(socket_name).c_str(), 0);
  sockaddr_un address = address_in(dir.get());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
      ::listen(fd.get(), 16) < 0)
    util::throw_errno(
        util::cat("listen on ", util::quote(attach_socket_path(container_dir).string())));
  return fd;
}

std::optional<util::UniqueFd> connect_attach_socket(const std::filesystem::path& container_dir) {
  util::UniqueFd dir(::open(container_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir)
    return std::nullopt;
  util::UniqueFd fd = new_socket(0);
  sockaddr_un address = address_in(dir.get());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return std::nullopt;
    util::throw_errno(util::cat("connect to ", util::quote(attach_socket_path(container_dir).string())));
  }
  return fd;
}

std::string attach_packet(AttachMessage type, std::string_view payload) {
  std::string packet(1, static_cast<char>(type));
  packet.append(payload);
  return packet;
}

std::string encode_window_size(const winsize& size) {
  std::uint16_t values[2] = {size.ws_row, size.ws_col};
  return std::string(reinterpret_cast<const char*>(values), sizeof values);
}

std::optional<winsize> decode_window_size(std::string_view payload) {
  std::uint16_t values[2];
  if (payload.size() != sizeof values)
    return std::nullopt;
  std::memcpy(values, payload.data(), sizeof values);
  winsize size{};
  size.ws_row = values[0];
  size.ws_col = values[1];
  return size;
}

std::string encode_exit_code(int code) {
  std::int32_t value = code;
  return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}

std::optional<int> decode_exit_code(std::string_view payload) {
  std::int32_t value;
  if (payload.size() != sizeof value)
    return std::nullopt;
  std::memcpy(&value, payload.data(), sizeof value);
  return value;
}

bool send_attach_packet(int socket, AttachMessage type, std::string_view payload) {
  std::string packet = attach_packet(type, payload);
  for (;;) {
    if (::send(socket, packet.data(), packet.size(), MSG_NOSIGNAL) >= 0)
      return true;
    if (errno != EINTR)
      return false;
  }
}

void send_window_size(int socket, int terminal) {
  winsize size{};
  if (terminal >= 0 && ::ioctl(terminal, TIOCGWINSZ, &size) == 0)
    send_attach_packet(socket, AttachMessage::resize, encode_window_size(size));
}

AttachPacket receive_attach_packet(int socket, char (&buffer)[attach_packet_max]) {
  for (;;) {
    ssize_t n = ::recv(socket, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return {AttachPacket::Status::none, AttachMessage::input, {}};
    if (n <= 0)
      return {AttachPacket::Status::closed, AttachMessage::input, {}};
    return {AttachPacket::Status::packet, static_cast<AttachMessage>(buffer[0]),
            std::string_view(buffer + 1, static_cast<size_t>(n) - 1)};
  }
}

StdinForward forward_stdin(int socket, DetachScanner& keys) {
  char buffer[attach_packet_max - 1];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return StdinForward::sent;
  if (n <= 0)
    return StdinForward::ended;
  std::string input = keys.feed(std::string_view(buffer, static_cast<size_t>(n)));
  if (!input.empty())
    send_attach_packet(socket, AttachMessage::input, input);
  return keys.detached() ? StdinForward::detached : StdinForward::sent;
}

} // namespace runtime
