#include "runtime/monitor.hpp"

#include "image/config.hpp"
#include "runtime/attach_server.hpp"
#include "runtime/container_log.hpp"
#include "runtime/container_start.hpp"
#include "runtime/control.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/restart_policy.hpp"
#include "runtime/signals.hpp"
#include "runtime/volumes.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/resident.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <vector>

namespace runtime {

namespace {

constexpr std::string_view started_message = "started";

util::UniqueFd open_checked(const std::filesystem::path& path, int flags) {
  util::UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(path.string())));
  return fd;
}

std::pair<util::UniqueFd, util::UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0)
    util::throw_errno("create a pipe");
  return {util::UniqueFd(fds[0]), util::UniqueFd(fds[1])};
}

void write_message(int fd, std::string_view text) noexcept {
  ssize_t ignored = ::write(fd, text.data(), text.size());
  (void)ignored;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[1024];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno("read the monitor's report");
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

// The monitor's own stdio: nothing to read, diagnostics appended to monitor.log.
void redirect_stdio(const std::filesystem::path& log) {
  util::UniqueFd null_in = open_checked("/dev/null", O_RDONLY);
  util::UniqueFd out = open_checked(log, O_WRONLY | O_CREAT | O_APPEND);
  if (::dup2(null_in.get(), STDIN_FILENO) < 0 || ::dup2(out.get(), STDOUT_FILENO) < 0 ||
      ::dup2(out.get(), STDERR_FILENO) < 0)
    util::throw_errno("redirect the monitor's stdio");
}

struct Source {
  util::UniqueFd fd;
  LogStream stream;
};

// Reads what a source has now into the log and to attached clients; false once it is at its
// end (EOF, or EIO for a pty master whose slave is gone).
bool drain(Source& source, LogWriter& log, AttachServer& attach) {
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(source.fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      log.append(source.stream, std::string_view(buffer, static_cast<size_t>(n)));
      attach.broadcast(source.stream, std::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    source.fd.reset();
    return false;
  }
}

// Reads the pending stop requests (monitor_stop_signal from `stop`, `kill`, `rm -f`); true when
// there was one.
bool take_stop_requests(SignalFd& signals) {
  bool requested = false;
  while (signals.read())
    requested = true;
  return requested;
}

// Copies the sources into the log until the container has exited and its output is read.
// The pidfd ends the loop even if some process outside the container kept a pipe open. A stop
// request arriving meanwhile sets `stop_requested`.
void relay_until_exit(std::vector<Source>& sources, LogWriter& log, int pidfd, SignalFd& signals,
                      bool& stop_requested, AttachServer& attach) {
  for (Source& s : sources)
    ::fcntl(s.fd.get(), F_SETFL, ::fcntl(s.fd.get(), F_GETFL) | O_NONBLOCK);
  for (;;) {
    std::vector<pollfd> fds{{pidfd, POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    for (const Source& s : sources)
      if (s.fd)
        fds.push_back({s.fd.get(), POLLIN, 0});
    attach.add_poll_fds(fds);
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      util::throw_errno("poll the container's output");
    }
    bool exited = (fds[0].revents & POLLIN) != 0;
    if (fds[1].revents != 0 && take_stop_requests(signals))
      stop_requested = true;
    attach.handle(fds);
    for (Source& s : sources)
      if (s.fd)
        drain(s, log, attach);
    if (exited)
      return;
  }
}

// Waits out a restart back-off; false when a stop request came first.
bool wait_backoff(SignalFd& signals, std::chrono::milliseconds delay) {
  auto deadline = std::chrono::steady_clock::now() + delay;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{signals.fd(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno("wait for the restart delay");
    if (n == 0)
      return true;
    if (take_stop_requests(signals))
      return false;
  }
}

// Starts one run of the container's command with its output on pipes (or the pty) and fills
// `sources` with the monitor's ends; with -i (and no pty) `input` gets the write end of its stdin.
ContainerProcess start_run(PreparedStart& prepared, std::vector<Source>& sources,
                           util::UniqueFd& input) {
  sources.clear();
  input.reset();
  if (prepared.pty) {
    ContainerProcess process = launch(prepared); // the master exists once the container made its pty
    sources.push_back({util::UniqueFd(::dup(prepared.pty->master())), LogStream::out});
    return process;
  }
  util::UniqueFd null_in = open_checked("/dev/null", O_RDONLY);
  if (prepared.spec.stdin_open) { // -d -i: stdin stays open for `attach`
    auto [in_read, in_write] = make_pipe();
    null_in = std::move(in_read);
    input = std::move(in_write);
    ::fcntl(input.get(), F_SETFL, O_NONBLOCK);
  }
  auto [out_read, out_write] = make_pipe();
  auto [err_read, err_write] = make_pipe();
  prepared.plan.stdin_fd = null_in.get();
  prepared.plan.stdout_fd = out_write.get();
  prepared.plan.stderr_fd = err_write.get();
  ContainerProcess process = launch(prepared);
  sources.push_back({std::move(out_read), LogStream::out});
  sources.push_back({std::move(err_read), LogStream::err});
  return process;
}

// `durability`: process_safe on the first start, whose caller is waiting: the record is made
// durable with ContainerStore::sync() right after the report (readers see it at once either way).
void record_running(storage::Store& store, storage::ContainerRecord& record,
                    const PreparedStart& prepared, const ContainerProcess& process,
                    unsigned restart_count, util::Durability durability) {
  ContainerState state = state_of(record);
  state.status = Status::running;
  state.process = {process.pid(), process_start_time(process.pid()).value_or(0)};
  state.monitor = self_process_id();
  state.started_at = image::now_rfc3339();
  state.finished_at.clear();
  state.detached = true;
  state.restarting = false;
  state.restart_count = restart_count;
  set_freezer(state, prepared);
  record.state = state.to_json();
  store.containers().save(record, record.auto_remove ? util::Durability::process_safe : durability);
}

// Between two runs: Docker's "restarting", with the last exit recorded.
void record_restarting(storage::Store& store, storage::ContainerRecord& record, int status,
                       unsigned restart_count) {
  ContainerState state = state_of(record);
  state.restarting = true;
  state.restart_count = restart_count;
  state.exit_code = exit_code(status);
  state.finished_at = image::now_rfc3339();
  save_state(store.containers(), record, state);
}

// Runs the container, tells `report` once it runs, relays its output into the log, and starts it
// again as its restart policy says; returns the wait status of the last run.
int supervise(storage::Store& store, const RuntimeOptions& options,
              storage::ContainerRecord& record, util::UniqueFd& report, SignalFd& signals,
              std::unique_ptr<NetnsAhead> netns) {
  const std::filesystem::path dir = store.containers().dir(record.id);
  PreparedStart prepared = prepare_start(store, options, record, -1, std::move(netns));
  record.driver = std::string(to_string(prepared.rootfs.driver()));
  LogWriter log(dir / "ctr.log");
  RestartTracker restarts(RestartPolicy::parse(record.restart_policy));
  AttachServer attach(dir);
  for (;;) {
    std::vector<Source> sources;
    util::UniqueFd input;
    ContainerProcess process = start_run(prepared, sources, input);
    int tty = prepared.pty ? prepared.pty->master() : -1;
    attach.begin_run(tty >= 0 && prepared.spec.stdin_open ? tty : input.get(), tty);
    auto started = std::chrono::steady_clock::now();
    record_running(store, record, prepared, process, restarts.restart_count(),
                   report ? util::Durability::process_safe : util::Durability::crash_safe);
    if (report) {
      write_message(report.get(), started_message);
      report.reset();
      try {
        if (!record.auto_remove)
          store.containers().sync(record);
      } catch (const std::exception& e) {
        util::log::warning("container ", record.id, ": ", e.what());
      }
      // The monitor stays resident for the container's life: give back the heap, and let go
      // of the code the start ran (page-cache pages, touched again only if needed).
      ::malloc_trim(0);
      util::release_file_pages();
    }
    bool stop_requested = false;
    relay_until_exit(sources, log, process.pidfd(), signals, stop_requested, attach);
    int status = process.wait();
    log.flush();
    attach.end_run(exit_code(status));
    // A request sent just before the container died is pending now at the latest.
    stop_requested = take_stop_requests(signals) || stop_requested;
    auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    std::optional<std::chrono::milliseconds> delay = restarts.next(
        exit_code(status), stop_requested ? StopCause::requested : StopCause::exited, ran_for);
    if (!delay)
      return status;
    LOG_DEBUG("container ", record.id, " ", util::describe_status(status), ": restart ",
              restarts.restart_count(), " in ", delay->count(), " ms");
    record_restarting(store, record, status, restarts.restart_count());
    if (!wait_backoff(signals, *delay))
      return status;
  }
}

// Records the exit (or removes an auto-remove container) after the container is gone.
void record_exit(storage::Store& store, storage::ContainerRecord& record, int status) {
  if (record.auto_remove) {
    store.containers().remove(record);
    storage::VolumeStore volumes(store.root());
    remove_anonymous_volumes(volumes, store.containers(), record);
    return;
  }
  ContainerState state = state_of(record);
  state.status = Status::exited;
  state.restarting = false;
  state.exit_code = exit_code(status);
  state.finished_at = image::now_rfc3339();
  save_state(store.containers(), record, state);
}

[[noreturn]] void monitor_main(storage::Store& store, const RuntimeOptions& options,
                               storage::ContainerRecord& record, util::UniqueFd report,
                               std::unique_ptr<NetnsAhead> netns) noexcept {
  int code = 0;
  // The monitor's threads (port forwarder, host sockets) allocate from the main heap: a
  // thread's own arena would keep its first pages resident (some 0.4 MiB) for the container's
  // life. Set before any thread starts.
  ::mallopt(M_ARENA_MAX, 1);
  try {
    ::setsid();
    redirect_stdio(store.containers().dir(record.id) / "monitor.log");
    // Blocked before any record names this process, so no stop request can kill it.
    SignalFd signals({monitor_stop_signal});
    int status = supervise(store, options, record, report, signals, std::move(netns));
    LOG_DEBUG("container ", record.id, " ", util::describe_status(status));
    record_exit(store, record, status);
  } catch (const std::exception& e) {
    if (report)
      write_message(report.get(), e.what());
    util::log::error("monitor of ", record.id, ": ", e.what());
    code = exit_tool_error;
  }
  std::fflush(nullptr);
  ::_exit(code);
}

} // namespace

void start_detached(storage::Store& store, const RuntimeOptions& options,
                    storage::ContainerRecord& record, std::unique_ptr<NetnsAhead> netns) {
  // Its thread must be done: a fork copies only the calling thread. A failure is the
  // monitor's to report (prepare_start), as when it makes the namespace itself.
  if (netns)
    netns->join();
  auto [report_read, report_write] = make_pipe();
  std::fflush(nullptr); // buffered output would otherwise be written twice
  pid_t pid = ::fork();
  if (pid < 0)
    util::throw_errno("fork the container monitor");
  if (pid == 0) {
    report_read.reset();
    monitor_main(store, options, record, std::move(report_write), std::move(netns));
  }
  report_write.reset();
  std::string message = read_all(report_read.get());
  if (message != started_message) {
    if (message.empty())
      message = util::cat("the container monitor exited before the container started (see ",
                          util::quote((store.containers().dir(record.id) / "monitor.log").string()),
                          ")");
    throw util::Error(util::cat("start container ", record.name, ": ", message));
  }
  if (std::optional<storage::ContainerRecord> fresh = store.containers().lookup(record.id))
    record = std::move(*fresh);
}

std::filesystem::path log_path(const storage::ContainerStore& containers, const std::string& id) {
  return containers.dir(id) / "ctr.log";
}

} // namespace runtime
