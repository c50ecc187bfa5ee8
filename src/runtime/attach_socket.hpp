// The channel between a detached container's monitor and `cove attach`: a SOCK_SEQPACKET unix
// socket, containers/<id>/attach.sock, one message per packet, its first byte saying what it is.
//   client -> monitor   'i' + bytes     input for the container's stdin (or its terminal)
//                       'w' + rows, cols (two uint16)   the client's terminal size (-t)
//   monitor -> client   'o' + bytes, 'e' + bytes        the container's stdout, stderr
//                       'x' + int32     the run ended with this exit code; the monitor then
//                                       closes the connection
// Packets keep message boundaries, so no framing is needed, and a stuck client is dropped
// instead of blocking the monitor (see AttachServer).
#pragma once

#include "runtime/detach_keys.hpp"
#include "util/fd.hpp"

#include <sys/ioctl.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace runtime {

// Message types (the first byte of a packet).
enum class AttachMessage : char {
  input = 'i',
  resize = 'w',
  out = 'o',
  err = 'e',
  exit = 'x',
};

// The largest packet either side sends (type byte included).
inline constexpr size_t attach_packet_max = 16 * 1024 + 1;

// containers/<id>/attach.sock, given the container's directory.
std::filesystem::path attach_socket_path(const std::filesystem::path& container_dir);

// Binds and listens on the socket in `container_dir` (replacing a stale one). The path is
// reached through /proc/self/fd/N of the directory, as a store path can exceed sun_path's 108
// bytes. Non-blocking, close-on-exec.
util::UniqueFd listen_attach_socket(const std::filesystem::path& container_dir);

// Connects to the socket in `container_dir`; nullopt when nobody listens (no file, or refused),
// with errno set.
std::optional<util::UniqueFd> connect_attach_socket(const std::filesystem::path& container_dir);

// A packet: the type byte then `payload`.
std::string attach_packet(AttachMessage type, std::string_view payload);

// The payload of a resize message, and its decoding (nullopt when malformed).
std::string encode_window_size(const winsize& size);
std::optional<winsize> decode_window_size(std::string_view payload);

// The payload of an exit message, and its decoding (nullopt when malformed).
std::string encode_exit_code(int code);
std::optional<int> decode_exit_code(std::string_view payload);

// Sends one packet on a connected socket; false when the peer is gone.
bool send_attach_packet(int socket, AttachMessage type, std::string_view payload);

// Sends the size of `terminal` as a resize message; nothing when it is -1 or not a terminal.
void send_window_size(int socket, int terminal);

// One receive on a non-blocking socket: a packet (its type and payload, in `buffer`), nothing
// waiting, or the peer's end.
struct AttachPacket {
  enum class Status { packet, none, closed } status;
  AttachMessage type = AttachMessage::input;
  std::string_view payload;
};
AttachPacket receive_attach_packet(int socket, char (&buffer)[attach_packet_max]);

// What forward_stdin() did with one read of cove's stdin.
enum class StdinForward { sent, ended, detached };

// Reads what stdin has and sends it as input packets, less the detach keys `keys` scans for:
// `ended` at the end of input (the container keeps its stdin, as Docker without stdin-once),
// `detached` when the user typed the keys. A monitor that is gone shows on the next receive.
StdinForward forward_stdin(int socket, DetachScanner& keys);

} // namespace runtime
