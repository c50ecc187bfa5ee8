#include "runtime/sync_channel.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

TEST_SUITE_BEGIN("runtime");

namespace {

// Forks a "child" that closes the parent's end and runs `body` with its end, like after clone().
template <typename F> pid_t fork_child(runtime::SyncChannel& channel, F body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    channel.close_parent_end();
    body(channel.child_fd());
    ::_exit(0);
  }
  channel.close_child_end();
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

} // namespace

TEST_CASE("SyncChannel: go, then an error report round-trips") {
  runtime::SyncChannel channel;
  pid_t pid = fork_child(channel, [](int fd) {
    if (!runtime::child_wait_go(fd))
      ::_exit(2);
    runtime::child_report_path(fd, ENOENT, runtime::ChildStage::mount, "mount proc on", "/proc");
  });
  channel.send_go();
  std::optional<runtime::ChildReport> report = channel.wait_exec();
  REQUIRE(report.has_value());
  CHECK(report->error == ENOENT);
  CHECK(report->stage == runtime::ChildStage::mount);
  CHECK(report->what == "mount proc on \"/proc\"");
  CHECK(WEXITSTATUS(reap(pid)) == 0);
}

TEST_CASE("SyncChannel: EOF after a successful exec means running") {
  runtime::SyncChannel channel;
  pid_t pid = fork_child(channel, [](int fd) {
    if (!runtime::child_wait_go(fd))
      ::_exit(2);
    // The child's end is CLOEXEC: a successful exec closes it.
    ::execl("/bin/true", "true", static_cast<char*>(nullptr));
    ::_exit(3);
  });
  channel.send_go();
  CHECK_FALSE(channel.wait_exec().has_value());
  CHECK(WEXITSTATUS(reap(pid)) == 0);
}

TEST_CASE("SyncChannel: the child sees EOF instead of go when the parent end closes") {
  runtime::SyncChannel channel;
  int read_fd = channel.child_fd();
  // Same process: closing the parent end leaves the child end with nothing to read.
  channel.close_parent_end();
  CHECK_FALSE(runtime::child_wait_go(read_fd));
}

TEST_CASE("SyncChannel: an over-long report is truncated, not overflowed") {
  runtime::SyncChannel channel;
  std::string long_path(1000, 'x');
  pid_t pid = fork_child(channel, [&](int fd) {
    runtime::child_wait_go(fd);
    runtime::child_report_path(fd, EACCES, runtime::ChildStage::cwd, "chdir", long_path.c_str());
  });
  channel.send_go();
  std::optional<runtime::ChildReport> report = channel.wait_exec();
  REQUIRE(report.has_value());
  CHECK(report->what.size() == sizeof(runtime::SyncMessage::what) - 1);
  CHECK(report->what.rfind("chdir \"xxx", 0) == 0);
  reap(pid);
}

TEST_CASE("SyncChannel: a console descriptor passed by the child survives its exit") {
  runtime::SyncChannel channel;
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  pid_t pid = fork_child(channel, [&](int fd) {
    if (!runtime::child_wait_go(fd))
      ::_exit(2);
    if (!runtime::child_send_console(fd, pipe_fds[0]))
      ::_exit(3);
  });
  ::close(pipe_fds[0]);
  channel.send_go();
  CHECK_FALSE(channel.wait_exec().has_value());
  util::UniqueFd console = channel.take_console();
  REQUIRE(console);
  CHECK((::fcntl(console.get(), F_GETFD) & FD_CLOEXEC) != 0);
  REQUIRE(::write(pipe_fds[1], "x", 1) == 1);
  char byte = 0;
  CHECK(::read(console.get(), &byte, 1) == 1);
  CHECK(byte == 'x');
  CHECK_FALSE(channel.take_console());
  ::close(pipe_fds[1]);
  CHECK(WEXITSTATUS(reap(pid)) == 0);
}

TEST_CASE("SyncChannel: a console followed by an error report yields both") {
  runtime::SyncChannel channel;
  pid_t pid = fork_child(channel, [](int fd) {
    runtime::child_wait_go(fd);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    runtime::child_send_console(fd, null_fd);
    runtime::child_report(fd, ENOENT, runtime::ChildStage::exec, "nothing");
  });
  channel.send_go();
  std::optional<runtime::ChildReport> report = channel.wait_exec();
  REQUIRE(report.has_value());
  CHECK(report->stage == runtime::ChildStage::exec);
  CHECK(static_cast<bool>(channel.take_console()));
  reap(pid);
}

TEST_SUITE_END();
