// Restart policies (`--restart no|on-failure[:N]|always|unless-stopped`) and the decision the
// monitor takes each time the container's init exits: restart or not, and after which delay.
// Pure logic with Docker's rules (moby's restartmanager), unit-tested; the monitor carries it out.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace runtime {

enum class RestartMode { no, on_failure, always, unless_stopped };

struct RestartPolicy {
  RestartMode mode = RestartMode::no;
  unsigned max_retries = 0; // on-failure:N; 0 = no limit

  // "no", "on-failure", "on-failure:3", "always", "unless-stopped" ("" is "no"). A count is only
  // allowed with on-failure, as Docker requires. Throws util::Error quoting the text.
  static RestartPolicy parse(std::string_view text);
  // The text parse() reads back ("on-failure:3").
  std::string str() const;
  // Docker's HostConfig.RestartPolicy.Name: "no", "on-failure", "always", "unless-stopped".
  std::string_view name() const;
  bool restarts() const noexcept { return mode != RestartMode::no; }
  friend bool operator==(const RestartPolicy&, const RestartPolicy&) = default;
};

// Why the container's init ended, as far as the policy cares.
enum class StopCause {
  exited,    // on its own (or killed by something other than the user's stop/kill)
  requested, // `stop`, `kill` (SIGKILL or the stop signal) or `rm -f` by the user
};

// The restart counter and the back-off of one monitor (one `start`): Docker's increasing delay
// (100 ms, doubled at each restart up to one minute, back to 100 ms after a run of at least 10 s).
// A stop requested by the user ends restarting for every policy until the next start: without a
// daemon there is no daemon restart either, so unless-stopped behaves as always does.
class RestartTracker {
public:
  explicit RestartTracker(RestartPolicy policy) : m_policy(policy) {}

  // Called when the init has exited with `exit_code` after running for `ran_for`: the delay
  // before the next start, or nullopt to stop for good. A restart counts in restart_count().
  std::optional<std::chrono::milliseconds> next(int exit_code, StopCause cause,
                                                std::chrono::milliseconds ran_for);

  // Restarts decided so far (Docker's RestartCount).
  unsigned restart_count() const noexcept { return m_count; }

  static constexpr std::chrono::milliseconds initial_delay{100};
  static constexpr std::chrono::milliseconds max_delay{60000};
  static constexpr std::chrono::milliseconds reset_after{10000};

private:
  RestartPolicy m_policy;
  unsigned m_count = 0;
  std::chrono::milliseconds m_delay{0};
};

} // namespace runtime
