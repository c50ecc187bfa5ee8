#include "runtime/restart_policy.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace runtime {

RestartPolicy RestartPolicy::parse(std::string_view text) {
  size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  RestartPolicy policy;
  if (name.empty() || name == "no")
    policy.mode = RestartMode::no;
  else if (name == "on-failure")
    policy.mode = RestartMode::on_failure;
  else if (name == "always")
    policy.mode = RestartMode::always;
  else if (name == "unless-stopped")
    policy.mode = RestartMode::unless_stopped;
  else
    throw util::Error(util::cat("invalid restart policy ", util::quote(text),
                                ": expected no, on-failure[:N], always or unless-stopped"));
  if (colon == std::string_view::npos)
    return policy;
  if (policy.mode != RestartMode::on_failure)
    throw util::Error(util::cat("invalid restart policy ", util::quote(text),
                                ": a maximum retry count is only allowed with on-failure"));
  std::string_view count = text.substr(colon + 1);
  unsigned long long n = 0;
  try {
    n = util::parse_unsigned(count, "maximum retry count");
  } catch (const util::Error&) {
    n = ~0ULL;
  }
  if (n > 1000000)
    throw util::Error(util::cat("invalid restart policy ", util::quote(text),
                                ": the maximum retry count must be a number from 0 to 1000000"));
  policy.max_retries = static_cast<unsigned>(n);
  return policy;
}

std::string_view RestartPolicy::name() const {
  switch (mode) {
  case RestartMode::no:
    return "no";
  case RestartMode::on_failure:
    return "on-failure";
  case RestartMode::always:
    return "always";
  case RestartMode::unless_stopped:
    return "unless-stopped";
  }
  return "no";
}

std::string RestartPolicy::str() const {
  if (mode == RestartMode::on_failure && max_retries > 0)
    return util::cat(name(), ":", max_retries);
  return std::string(name());
}

std::optional<std::chrono::milliseconds> RestartTracker::next(int exit_code, StopCause cause,
                                                              std::chrono::milliseconds ran_for) {
  bool restart = false;
  switch (m_policy.mode) {
  case RestartMode::no:
    break;
  case RestartMode::always:
  case RestartMode::unless_stopped:
    restart = true;
    break;
  case RestartMode::on_failure:
    restart = exit_code != 0 && (m_policy.max_retries == 0 || m_count < m_policy.max_retries);
    break;
  }
  if (!restart || cause == StopCause::requested)
    return std::nullopt;
  // A run long enough to count as healthy starts the back-off over (the count keeps growing).
  if (ran_for >= reset_after || m_delay.count() == 0)
    m_delay = initial_delay;
  else
    m_delay = std::min(m_delay * 2, max_delay);
  ++m_count;
  return m_delay;
}

} // namespace runtime
