#include "runtime/pty_keeper.hpp"

#include "util/error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace runtime {

namespace {

// In the forked keeper: never throws, never returns.
[[noreturn]] void drain(int master) noexcept {
  ::setsid();
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0)
    for (int target = 0; target < 3; ++target)
      ::dup2(null, target);
  // Nothing else of cove's stays open here (a pipe held by this process would keep a reader of
  // cove's output waiting).
  if (master != 3)
    master = ::dup2(master, 3);
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  if (master < 0)
    ::_exit(1);
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n > 0)
      continue;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) { // the master is non-blocking
      pollfd wait{master, POLLIN, 0};
      ::poll(&wait, 1, -1);
      continue;
    }
    ::_exit(0); // EIO: the last slave descriptor is closed
  }
}

} // namespace

void keep_pty_open(int master) {
  pid_t pid = ::fork();
  if (pid < 0)
    util::throw_errno("fork a process to keep the exec's terminal open");
  if (pid == 0)
    drain(master);
}

} // namespace runtime
