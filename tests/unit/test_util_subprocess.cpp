#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/subprocess.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

TEST_CASE("Subprocess: output_file takes stdout and stderr") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-test-spawn");
  util::Subprocess::Options options;
  options.capture_stderr = false;
  options.output_file = (dir.path() / "log").string();
  util::Subprocess proc =
      util::Subprocess::spawn({"sh", "-c", "echo out; echo err >&2"}, options);
  int status = proc.wait();
  CHECK(WIFEXITED(status));
  CHECK(util::read_file(dir.path() / "log") == "out\nerr\n");
  options.capture_stderr = true;
  CHECK_THROWS_AS(util::Subprocess::spawn({"true"}, options), util::Error);
}

TEST_CASE("Subprocess: reap_later leaves no zombie once the child has exited") {
  util::Subprocess proc = util::Subprocess::spawn({"sleep", "0.2"});
  pid_t pid = proc.pid();
  proc.reap_later();
  CHECK(proc.pid() == -1);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  util::Subprocess::reap_exited();
  CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}
