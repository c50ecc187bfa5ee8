#include "runtime/exit_status.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <initializer_list>

TEST_SUITE_BEGIN("runtime");

namespace {

// A real wait status from a child that runs `body`.
template <typename F> int status_of(F body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // doctest's crash handlers are inherited; the child must die the ordinary way.
    for (int sig : {SIGINT, SIGTERM, SIGSEGV, SIGABRT})
      ::signal(sig, SIG_DFL);
    body();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

} // namespace

TEST_CASE("exit_code passes the container's own exit status through") {
  CHECK(runtime::exit_code(status_of([] { ::_exit(0); })) == 0);
  CHECK(runtime::exit_code(status_of([] { ::_exit(3); })) == 3);
  CHECK(runtime::exit_code(status_of([] { ::_exit(127); })) == 127);
  CHECK(runtime::exit_code(status_of([] { ::_exit(255); })) == 255);
}

TEST_CASE("exit_code maps a killing signal to 128 + N") {
  CHECK(runtime::exit_code(status_of([] { ::kill(::getpid(), SIGKILL); })) == 137);
  CHECK(runtime::exit_code(status_of([] { ::kill(::getpid(), SIGTERM); })) == 143);
  CHECK(runtime::exit_code(status_of([] { ::kill(::getpid(), SIGINT); })) == 130);
}

TEST_CASE("exit_code of a synthetic stop status is a tool error") {
  // 0x137f is the layout of "stopped by SIGSTOP"; never passed in practice.
  CHECK(runtime::exit_code(0x137f) == runtime::exit_tool_error);
}

TEST_SUITE_END();
