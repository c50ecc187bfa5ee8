// Subprocess: external helpers run from an argv vector (never a shell), with stderr captured so
// a failure names the helper's own message.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace util {

// Absolute path of `name` found on PATH (cached per name), or nullopt.
std::optional<std::string> find_program(std::string_view name);

class Subprocess {
public:
  struct Options {
    // Descriptors the child inherits at the same number (CLOEXEC is cleared for it).
    std::vector<int> keep_fds;
    // Capture stdout / stderr into strings (otherwise inherited).
    bool capture_stdout = false;
    bool capture_stderr = true;
    // Replace stdin with /dev/null (otherwise inherited).
    bool null_stdin = true;
    // Start the helper in its own session (setsid) so terminal signals do not reach it.
    bool new_session = false;
    // Extra environment "K=V" entries added to the current environment.
    std::vector<std::string> extra_env;
    // stdout and stderr both written to this file (created or truncated, mode 0600) instead of
    // captured or inherited; the capture flags must then be false.
    std::string output_file;
  };

  // Starts argv[0] looked up on PATH. Throws Error naming the program if it cannot be started.
  static Subprocess spawn(const std::vector<std::string>& argv, const Options& options);
  static Subprocess spawn(const std::vector<std::string>& argv) { return spawn(argv, Options{}); }

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills (SIGKILL) and reaps a child that was not waited for.
  ~Subprocess();

  pid_t pid() const noexcept { return m_pid; }
  // Reads captured output to EOF and reaps; returns the raw wait status.
  int wait();
  // Forget the child: it is no longer killed or reaped by this object.
  void detach() noexcept { m_pid = -1; }
  // Forget the child but reap it later: reaped now if it has exited, else handed to
  // reap_exited(), which a later call (or this process's exit) takes care of.
  void reap_later() noexcept;
  // Reaps the children handed over by reap_later() that have exited since; never blocks.
  static void reap_exited() noexcept;
  // reap_later() for a child started otherwise (fork + exec).
  static void reap_later(pid_t pid) noexcept;

  const std::string& out() const noexcept { return m_out; }
  const std::string& err() const noexcept { return m_err; }
  // "prog arg1 arg2" for messages.
  std::string command_line() const;

private:
  Subprocess() = default;
  pid_t m_pid = -1;
  int m_out_fd = -1;
  int m_err_fd = -1;
  std::vector<std::string> m_argv;
  std::string m_out;
  std::string m_err;
};

// Runs to completion. On failure throws Error("<cmd>: exited with status N: <stderr>").
// Returns captured stdout.
std::string run_checked(const std::vector<std::string>& argv);

// Describes a wait status: "exited with status 3", "killed by signal 9".
std::string describe_status(int status);

} // namespace util
