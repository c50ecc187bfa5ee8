// SyncChannel: the parent <-> child rendezvous around clone(). A SOCK_SEQPACKET socketpair with
// CLOEXEC on both ends, so the child's end closes by itself when execve succeeds: the parent
// reading EOF after "go" means the container command is running.
#pragma once

#include "util/fd.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace runtime {

// Where in the child's setup a failure happened; decides cove's exit code.
enum class ChildStage : std::int32_t { setup = 1, mount, pivot, terminal, user, cwd, exec };

// A failure reported by the child: errno plus the object it was working on.
struct ChildReport {
  int error = 0;
  ChildStage stage = ChildStage::setup;
  std::string what; // "mount proc on \"/proc\"", or the command name for ChildStage::exec
};

// One fixed-size datagram; the child fills it without allocating.
struct SyncMessage {
  // console: carries the master of the pty the child created, as SCM_RIGHTS ancillary data;
  // socket_listener: the listener of the child's socket filter (net/socket_filter), likewise;
  // relay_listener: the outbound relay's listening socket (net/outbound_relay), likewise.
  enum class Type : std::int32_t {
    go = 1,
    error = 2,
    console = 3,
    socket_listener = 4,
    relay_listener = 5,
  };
  Type type = Type::go;
  std::int32_t error = 0;
  ChildStage stage = ChildStage::setup;
  char what[256] = {};
};

class SyncChannel {
public:
  // Creates the socketpair; throws util::SystemError.
  SyncChannel();

  // Parent side, after clone(): drops the child's end so EOF becomes observable.
  void close_child_end() noexcept { m_child.reset(); }
  // Parent: lets the child proceed with its setup.
  void send_go();
  // Parent: blocks until the child execs (nullopt) or reports a failure. Descriptors received
  // on the way are kept for take_console() and take_socket_listener().
  std::optional<ChildReport> wait_exec();
  // Parent, after wait_exec(): the pty master the child sent, if it sent one.
  util::UniqueFd take_console() noexcept { return std::move(m_console); }
  // Parent, after wait_exec(): the socket filter's listener the child sent, if it sent one.
  util::UniqueFd take_socket_listener() noexcept { return std::move(m_socket_listener); }
  // Parent, after wait_exec(): the outbound relay's listening socket, if the child sent one.
  util::UniqueFd take_relay_listener() noexcept { return std::move(m_relay_listener); }

  // Child side (async-signal-safe, never throws): the end the child keeps.
  int child_fd() const noexcept { return m_child.get(); }
  // Child side: drops the parent's end right after clone().
  void close_parent_end() noexcept { m_parent.reset(); }

private:
  util::UniqueFd m_parent;
  util::UniqueFd m_child;
  util::UniqueFd m_console;
  util::UniqueFd m_socket_listener;
  util::UniqueFd m_relay_listener;
};

// Child: waits for "go"; false on EOF or error (the parent is gone).
bool child_wait_go(int fd) noexcept;
// Child: sends {errno, stage, what}; what is truncated to fit. Never fails loudly.
void child_report(int fd, int error, ChildStage stage, const char* what) noexcept;
// Child: passes `master` (a pty master) to the parent; false (errno set) if the send failed.
bool child_send_console(int fd, int master) noexcept;
// Child: passes `listener` (a seccomp notification listener) to the parent; false (errno set)
// if the send failed.
bool child_send_socket_listener(int fd, int listener) noexcept;
// Child: passes the outbound relay's listening socket `relay`; false (errno set) if the send
// failed.
bool child_send_relay_listener(int fd, int relay) noexcept;
// Child: like child_report with "prefix" and a quoted path, built without allocating.
void child_report_path(int fd, int error, ChildStage stage, const char* prefix,
                       const char* path) noexcept;

} // namespace runtime
