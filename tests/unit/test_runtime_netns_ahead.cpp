#include "runtime/netns_ahead.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cerrno>

// The thread that makes the namespace may finish before the constructor's member initialisers
// would have run: whatever the timing, a made namespace must reach the caller.
TEST_CASE("NetnsAhead: the namespace reaches wait() and take(), however fast the thread is") {
  for (int i = 0; i < 50; ++i) {
    runtime::NetnsAhead ahead;
    int fd = -1;
    try {
      fd = ahead.wait();
    } catch (const util::SystemError& e) {
      // Not privileged to make a network namespace here (an unprivileged run of the unit tests).
      CHECK((e.code() == EPERM || e.code() == EACCES));
      return;
    }
    REQUIRE(fd >= 0);
    struct stat st{};
    REQUIRE(::fstat(fd, &st) == 0);
    util::UniqueFd taken = ahead.take();
    CHECK(taken.get() == fd);
  }
}
