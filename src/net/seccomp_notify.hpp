// The supervisor's side of seccomp user notifications (seccomp_unotify(2)): receiving a caught
// system call, reading its arguments out of the caller, taking and replacing the caller's
// descriptors, and answering. Nothing here throws: it runs in net/socket_bypass's thread.
#pragma once

#include "util/fd.hpp"

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace net {

// One caught system call.
struct Notification {
  uint64_t id = 0;
  pid_t pid = 0; // the calling thread, in cove's pid namespace
  int nr = -1;   // the system call number
  uint32_t arch = 0; // its ABI (AUDIT_ARCH_*)
  uint64_t args[6] = {};
};

class NotifyListener {
public:
  explicit NotifyListener(util::UniqueFd fd) noexcept;

  int fd() const noexcept { return m_fd.get(); }
  // Receives the next notification (call when fd() is readable). False when there was none
  // after all, e.g. because the caller was killed meanwhile.
  bool receive(Notification& out) noexcept;
  // Still waiting (the caller has not died and been replaced since receive()): checked after
  // reading the caller's memory, before acting on what was read.
  bool valid(uint64_t id) const noexcept;
  // Puts `source` into the caller's descriptor table as number `target_fd` (replacing what was
  // there, atomically), close-on-exec if asked. 0 or an errno.
  int replace_fd(uint64_t id, int source, int target_fd, bool cloexec) const noexcept;
  // Answers: the system call runs as if never caught.
  void allow(uint64_t id) const noexcept;
  // Answers: the system call returns `value` (error 0) or fails with `error`.
  void answer(uint64_t id, int64_t value, int error) const noexcept;

private:
  util::UniqueFd m_fd;
  std::vector<unsigned char> m_request;  // sized for the running kernel's seccomp_notif
  mutable std::vector<unsigned char> m_response; // and seccomp_notif_resp
};

// Copies `length` bytes at `address` in process `pid`; false unless all could be read.
bool read_process_memory(pid_t pid, uint64_t address, void* buffer, size_t length) noexcept;

// Copies `length` bytes of `buffer` to `address` in process `pid`; false unless all were written.
bool write_process_memory(pid_t pid, uint64_t address, const void* buffer, size_t length) noexcept;

// Answers a getsockname()-style call of process `pid` with the address `data` of `length`
// bytes: truncated to the room its socklen_t at `length_at` gives, which then holds `length`.
// 0 or an errno (EFAULT when its memory cannot be read or written).
int write_address_result(pid_t pid, uint64_t address, uint64_t length_at, const void* data,
                         socklen_t length) noexcept;

// A duplicate of descriptor `fd` of thread `pid` (pidfd_getfd(2)); empty on failure.
util::UniqueFd take_process_fd(pid_t pid, int fd) noexcept;

// Whether thread `pid` has `capability` (CAP_*) in its effective set.
bool process_has_capability(pid_t pid, int capability) noexcept;

// Whether descriptor `fd` of thread `pid` is close-on-exec (its fdinfo).
bool process_fd_cloexec(pid_t pid, int fd) noexcept;

} // namespace net
