#include "runtime/container_state.hpp"

#include "image/config.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace runtime {

namespace {

using nlohmann::json;

Status parse_status(const std::string& text) {
  if (text == "running")
    return Status::running;
  if (text == "exited")
    return Status::exited;
  return Status::created;
}

json process_json(const ProcessId& id) {
  return json{{"pid", id.pid}, {"start", id.start}};
}

ProcessId process_from_json(const json& j) {
  if (!j.is_object())
    return {};
  return {j.value("pid", 0), j.value("start", 0ULL)};
}

// "5 minutes" from util::human_duration's "5 minutes ago".
std::string duration_words(long long seconds) {
  std::string text = util::human_duration(seconds);
  const std::string suffix = " ago";
  if (text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0)
    text.resize(text.size() - suffix.size());
  return text;
}

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName signal_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"STOP", SIGSTOP},     {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},   {"SYS", SIGSYS}};

} // namespace

std::string_view to_string(Status status) {
  switch (status) {
  case Status::created:
    return "created";
  case Status::running:
    return "running";
  case Status::exited:
    return "exited";
  }
  return "created";
}

std::string_view status_word(const ContainerState& state) {
  if (state.status == Status::running && state.paused)
    return "paused";
  if (state.status == Status::running && state.restarting)
    return "restarting";
  return to_string(state.status);
}

nlohmann::json ContainerState::to_json() const {
  json j{{"status", std::string(to_string(status))},
         {"process", process_json(process)},
         {"monitor", process_json(monitor)},
         {"started_at", started_at},
         {"finished_at", finished_at},
         {"exit_code", exit_code},
         {"stop_signal", stop_signal},
         {"detached", detached},
         {"restarting", restarting},
         {"restart_count", restart_count},
         {"freezer", freezer},
         {"freezer_error", freezer_error}};
  return j;
}

ContainerState ContainerState::from_json(const nlohmann::json& j) {
  ContainerState state;
  if (!j.is_object())
    return state;
  state.status = parse_status(j.value("status", std::string()));
  state.process = process_from_json(j.value("process", json()));
  state.monitor = process_from_json(j.value("monitor", json()));
  state.started_at = j.value("started_at", std::string());
  state.finished_at = j.value("finished_at", std::string());
  state.exit_code = j.value("exit_code", 0);
  state.stop_signal = j.value("stop_signal", std::string());
  state.detached = j.value("detached", false);
  state.restarting = j.value("restarting", false);
  state.restart_count = j.value("restart_count", 0U);
  state.freezer = j.value("freezer", std::string());
  state.freezer_error = j.value("freezer_error", std::string());
  return state;
}

std::optional<std::pair<char, unsigned long long>> parse_proc_stat(std::string_view text) {
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string_view::npos)
    return std::nullopt;
  std::vector<std::string> fields = util::split(util::trim(text.substr(close + 1)), ' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  if (fields.size() < 20 || fields[0].size() != 1)
    return std::nullopt;
  try {
    return std::make_pair(fields[0][0], util::parse_unsigned(fields[19], "start time"));
  } catch (const util::Error&) {
    return std::nullopt;
  }
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  if (pid <= 0)
    return std::nullopt;
  std::optional<std::string> text;
  try {
    text = util::read_file_if_exists(util::cat("/proc/", pid, "/stat"));
  } catch (const util::Error&) {
    return std::nullopt; // raced with the exit (ESRCH)
  }
  if (!text)
    return std::nullopt;
  auto parsed = parse_proc_stat(*text);
  if (!parsed || parsed->first == 'Z' || parsed->first == 'X')
    return std::nullopt;
  return parsed->second;
}

ProcessId self_process_id() {
  pid_t pid = ::getpid();
  return {pid, process_start_time(pid).value_or(0)};
}

bool is_alive(const ProcessId& id) {
  std::optional<unsigned long long> start = process_start_time(id.pid);
  return start && *start == id.start;
}

std::optional<ContainerState> reconcile(const ContainerState& state, bool container_alive,
                                        bool monitor_alive, const std::string& now) {
  if (state.status != Status::running || container_alive || monitor_alive)
    return std::nullopt;
  ContainerState out = state;
  out.status = Status::exited;
  out.restarting = false;
  out.paused = false;
  if (!state.restarting) { // between two runs the last exit is already recorded
    out.exit_code = 128 + SIGKILL;
    out.finished_at = now;
  }
  return out;
}

std::string status_text(const ContainerState& state, long long now) {
  auto since = [now](const std::string& when) {
    std::optional<long long> t = image::parse_rfc3339(when);
    return t ? std::max(0LL, now - *t) : 0LL;
  };
  switch (state.status) {
  case Status::created:
    return "Created";
  case Status::running:
    if (state.restarting)
      return util::cat("Restarting (", state.exit_code, ") ",
                       util::human_duration(since(state.finished_at)));
    return "Up " + duration_words(since(state.started_at)) + (state.paused ? " (Paused)" : "");
  case Status::exited:
    return util::cat("Exited (", state.exit_code, ") ", util::human_duration(since(state.finished_at)));
  }
  return "Created";
}

int parse_signal(std::string_view text) {
  std::string upper;
  for (char c : text)
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.rfind("SIG", 0) == 0)
    upper.erase(0, 3);
  if (!upper.empty() && std::all_of(upper.begin(), upper.end(), ::isdigit)) {
    unsigned long long n = util::parse_unsigned(upper, "signal number");
    if (n >= 1 && n <= 64)
      return static_cast<int>(n);
  }
  for (const SignalName& s : signal_names)
    if (upper == s.name)
      return s.number;
  throw util::Error(util::cat("invalid signal: ", util::quote(text)));
}

} // namespace runtime
