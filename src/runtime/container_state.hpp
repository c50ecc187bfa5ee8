// The runtime state of one container as kept in its record (ContainerRecord::state), and the
// liveness checks that keep it truthful without a daemon: a recorded pid only counts as the
// container when /proc/<pid>/stat still shows the same start time (pids are reused), and a
// "running" record whose monitor and container are both gone is reconciled to "exited".
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace runtime {

// Docker's status words for the states cove produces.
enum class Status { created, running, exited };

// "created", "running", "exited".
std::string_view to_string(Status status);

struct ContainerState;

// Docker's State.Status word: "paused" and "restarting" for those running states, else as
// to_string(state.status).
std::string_view status_word(const ContainerState& state);

// A process identified by pid and start time (clock ticks since boot, /proc/<pid>/stat field 22).
struct ProcessId {
  pid_t pid = 0;
  unsigned long long start = 0;
  friend bool operator==(const ProcessId&, const ProcessId&) = default;
};

struct ContainerState {
  Status status = Status::created;
  ProcessId process;          // the container's init, as a host pid
  ProcessId monitor;          // its parent: the monitor (detached) or the foreground cove
  std::string started_at;     // RFC 3339, empty until started
  std::string finished_at;    // RFC 3339, empty until exited
  int exit_code = 0;          // valid when exited
  std::string stop_signal;    // the image's StopSignal ("SIGTERM" when unset)
  bool detached = false;      // started by run -d / start: logs are in the container's log file
  bool restarting = false;    // status running, waiting out the restart policy's back-off
  unsigned restart_count = 0; // restarts by the policy since the last start (Docker's RestartCount)
  std::string freezer;        // the container's freezer cgroup directory, "" when it has none
  std::string freezer_error;  // why it has none (what `pause` reports)
  bool paused = false;        // not stored: refresh_state reads it from the freezer

  nlohmann::json to_json() const;
  // Reads what to_json wrote; missing fields keep their defaults (records of older versions).
  static ContainerState from_json(const nlohmann::json& json);
};

// The state letter and start time from the text of /proc/<pid>/stat; nullopt if malformed.
std::optional<std::pair<char, unsigned long long>> parse_proc_stat(std::string_view text);

// The start time of a live (not zombie) process; nullopt when it is gone or a zombie.
std::optional<unsigned long long> process_start_time(pid_t pid);

// This process as a ProcessId.
ProcessId self_process_id();

// True when `id` is still the same live process.
bool is_alive(const ProcessId& id);

// What the state truly is given which recorded processes are alive (pure). A running record
// whose container is gone becomes exited once its monitor is gone too (the monitor records the
// real status itself when it survives): the container died with its monitor (the monitor is its
// parent and it has PR_SET_PDEATHSIG=SIGKILL), so the code is 137. `now` stamps finished_at.
// A restarting record whose monitor is gone becomes exited with the code it recorded.
// Returns nullopt when nothing changes.
std::optional<ContainerState> reconcile(const ContainerState& state, bool container_alive,
                                        bool monitor_alive, const std::string& now);

// Docker's STATUS column: "Created", "Up 5 minutes", "Up 5 minutes (Paused)", "Restarting (1) 2
// seconds ago", "Exited (3) 2 hours ago". `now` is seconds since the epoch.
std::string status_text(const ContainerState& state, long long now);

// A signal by name ("TERM", "SIGTERM", "sigkill") or number ("9"); throws util::Error.
int parse_signal(std::string_view text);

} // namespace runtime
