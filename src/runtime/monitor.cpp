#include "runtime/monitor.hpp"

#include "image/config.hpp"
#include "runtime/attach_server.hpp"
#include "runtime/container_log.hpp"
#include "runtime/container_start.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/volumes.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
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

// Copies the sources into the log until the container has exited and its output is read.
// The pidfd ends the loop even if some process outside the container kept a pipe open.
void relay_until_exit(std::vector<Source>& sources, LogWriter& log, int pidfd,
                      AttachServer& attach) {
  for (Source& s : sources)
    ::fcntl(s.fd.get(), F_SETFL, ::fcntl(s.fd.get(), F_GETFL) | O_NONBLOCK);
  for (;;) {
    std::vector<pollfd> fds{{pidfd, POLLIN, 0}};
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
    attach.handle(fds);
    for (Source& s : sources)
      if (s.fd)
        drain(s, log, attach);
    if (exited)
      return;
  }
}

// Starts the container with its output on pipes (or the pty), tells `report` it runs, relays
// its output into the log until it exits; returns the wait status.
int supervise(storage::Store& store, const RuntimeOptions& options,
              storage::ContainerRecord& record, util::UniqueFd& report) {
  const std::filesystem::path dir = store.containers().dir(record.id);
  PreparedStart prepared = prepare_start(store, options, record, -1);
  record.driver = std::string(to_string(prepared.rootfs.driver()));
  LogWriter log(dir / "ctr.log");
  AttachServer attach(dir); // listening before the CLI is told the container runs
  util::UniqueFd null_in = open_checked("/dev/null", O_RDONLY);
  std::vector<Source> sources;
  std::optional<ContainerProcess> process;
  util::UniqueFd input; // -d -i: the write end of the container's stdin, kept open for `attach`
  if (prepared.pty) {
    process.emplace(launch(prepared)); // the master exists once the container made its pty
    int master = ::dup(prepared.pty->master());
    sources.push_back({util::UniqueFd(master), LogStream::out});
  } else {
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();
    if (prepared.spec.stdin_open) {
      auto [in_read, in_write] = make_pipe();
      null_in = std::move(in_read);
      input = std::move(in_write);
      ::fcntl(input.get(), F_SETFL, O_NONBLOCK);
    }
    prepared.plan.stdin_fd = null_in.get();
    prepared.plan.stdout_fd = out_write.get();
    prepared.plan.stderr_fd = err_write.get();
    process.emplace(launch(prepared));
    sources.push_back({std::move(out_read), LogStream::out});
    sources.push_back({std::move(err_read), LogStream::err});
  }
  null_in.reset();
  ContainerState state = state_of(record);
  state.status = Status::running;
  state.process = {process->pid(), process_start_time(process->pid()).value_or(0)};
  state.monitor = self_process_id();
  state.started_at = image::now_rfc3339();
  state.finished_at.clear();
  state.detached = true;
  save_state(store.containers(), record, state);
  write_message(report.get(), started_message);
  report.reset();
  ::malloc_trim(0); // the monitor stays resident for the container's life: give back the heap
  int tty = prepared.pty ? prepared.pty->master() : -1;
  attach.begin_run(tty >= 0 && prepared.spec.stdin_open ? tty : input.get(), tty);
  relay_until_exit(sources, log, process->pidfd(), attach);
  int status = process->wait();
  log.flush();
  attach.end_run(exit_code(status));
  return status;
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
  state.exit_code = exit_code(status);
  state.finished_at = image::now_rfc3339();
  save_state(store.containers(), record, state);
}

[[noreturn]] void monitor_main(storage::Store& store, const RuntimeOptions& options,
                               storage::ContainerRecord& record, util::UniqueFd report) noexcept {
  int code = 0;
  try {
    ::setsid();
    redirect_stdio(store.containers().dir(record.id) / "monitor.log");
    int status = supervise(store, options, record, report);
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
                    storage::ContainerRecord& record) {
  auto [report_read, report_write] = make_pipe();
  std::fflush(nullptr); // buffered output would otherwise be written twice
  pid_t pid = ::fork();
  if (pid < 0)
    util::throw_errno("fork the container monitor");
  if (pid == 0) {
    report_read.reset();
    monitor_main(store, options, record, std::move(report_write));
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
