// Mapping a wait(2) status to the exit code cove itself returns (Docker/podman convention).
#pragma once

#include <sys/wait.h>

namespace runtime {

// The container's own code when it exited, 128+N when killed by signal N. Any other status
// (stopped/continued are never passed here) counts as a tool failure: 125.
constexpr int exit_code(int status) noexcept {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 125;
}

// Exit codes cove uses for its own failures (podman/bubblewrap convention).
inline constexpr int exit_tool_error = 125;    // cove itself failed
inline constexpr int exit_cannot_invoke = 126; // the command exists but cannot be executed
inline constexpr int exit_not_found = 127;     // the command was not found

} // namespace runtime
