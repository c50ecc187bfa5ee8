// cove logs: a detached container's stdout and stderr from its log file, kept apart; -f follows
// until the container stops; --since/--until keep the records timed in a window.
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "runtime/container_log.hpp"
#include "runtime/control.hpp"
#include "runtime/monitor.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <iostream>
#include <memory>

namespace cli {

namespace {

struct LogsFlags {
  bool follow = false;
  bool timestamps = false;
  std::string tail = "all";
  std::string since;
  std::string until;
  std::string name;
};

// Prints records to stdout or stderr; remembers whether the last one ended its line.
struct Printer {
  bool timestamps = false;
  TimeWindow window;
  bool at_line_start[2] = {true, true};

  void print(const runtime::LogRecord& record) {
    if (window.since || window.until) {
      std::optional<UnixNanos> time = parse_rfc3339(record.time);
      if (time && !window.contains(*time))
        return;
    }
    int index = record.stream == runtime::LogStream::out ? 0 : 1;
    std::ostream& out = index == 0 ? std::cout : std::cerr;
    if (timestamps && at_line_start[index])
      out << record.time << ' ';
    out << record.text;
    if (!record.partial)
      out << '\n';
    at_line_start[index] = !record.partial;
  }
};

// Reads the complete lines appended since `offset`; advances it past them.
std::vector<runtime::LogRecord> read_new(int fd, off_t& offset) {
  std::string data;
  char buffer[65536];
  ssize_t n;
  while ((n = ::pread(fd, buffer, sizeof buffer, offset + static_cast<off_t>(data.size()))) > 0)
    data.append(buffer, static_cast<size_t>(n));
  if (n < 0)
    util::throw_errno("read the container log");
  size_t end = data.rfind('\n');
  std::vector<runtime::LogRecord> records;
  if (end == std::string::npos)
    return records;
  for (const std::string& line : util::split(std::string_view(data).substr(0, end), '\n'))
    if (auto record = runtime::parse_log_line(line))
      records.push_back(std::move(*record));
  offset += static_cast<off_t>(end + 1);
  return records;
}

std::optional<size_t> parse_tail(const std::string& text) {
  if (text == "all" || text == "-1")
    return std::nullopt;
  return static_cast<size_t>(util::parse_unsigned(text, "--tail"));
}

bool running(const storage::ContainerStore& containers, storage::ContainerRecord& record) {
  if (std::optional<storage::ContainerRecord> fresh = containers.lookup(record.id))
    record = std::move(*fresh);
  else
    return false;
  return runtime::refresh_state(containers, record).status == runtime::Status::running;
}

int logs(const Invocation& inv, const LogsFlags& flags) {
  LogOptions options{flags.follow, flags.timestamps, parse_tail(flags.tail), 0, {}, {}};
  UnixNanos now = unix_nanos_now();
  if (!flags.since.empty())
    options.window.since = parse_time_argument(flags.since, now, "--since");
  if (!flags.until.empty())
    options.window.until = parse_time_argument(flags.until, now, "--until");
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, flags.name);
  print_logs(containers, record, options);
  return 0;
}

} // namespace

void print_logs(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                const LogOptions& options) {
  std::filesystem::path path = runtime::log_path(containers, record.id);
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno != ENOENT)
    util::throw_errno(util::cat("open ", util::quote(path.string())));
  Printer printer{options.timestamps, options.window, {true, true}};
  off_t offset = options.from;
  if (fd) {
    std::vector<runtime::LogRecord> records = read_new(fd.get(), offset);
    size_t first =
        options.tail && *options.tail < records.size() ? records.size() - *options.tail : 0;
    for (size_t i = first; i < records.size(); ++i)
      printer.print(records[i]);
  }
  std::cout << std::flush;
  while (options.follow && fd) {
    bool still_running = running(containers, record);
    for (const runtime::LogRecord& r : read_new(fd.get(), offset))
      printer.print(r);
    std::cout << std::flush;
    if (!still_running || (options.window.until && unix_nanos_now() > *options.window.until))
      break;
    if (!options.wait_more)
      ::usleep(50000);
    else if (!options.wait_more())
      break;
  }
}

off_t log_size(const storage::ContainerStore& containers, const std::string& id) {
  struct stat st{};
  if (::stat(runtime::log_path(containers, id).c_str(), &st) < 0)
    return 0;
  return st.st_size;
}

CLI::App* add_logs_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<LogsFlags>();
  CLI::App* cmd = parent.add_subcommand("logs", "Print a container's output");
  cmd->add_flag("-f,--follow", flags->follow, "Follow the output until the container stops");
  cmd->add_flag("-t,--timestamps", flags->timestamps, "Prefix each line with its time");
  cmd->add_option("-n,--tail", flags->tail, "Number of lines from the end (default all)");
  cmd->add_option("--since", flags->since,
                  "Only records since a time: RFC 3339, Unix timestamp, or a duration ago (10m)");
  cmd->add_option("--until", flags->until,
                  "Only records until a time: RFC 3339, Unix timestamp, or a duration ago (10m)");
  cmd->add_option("CONTAINER", flags->name, "Container name or id")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return logs(inv, *flags); }; });
  return cmd;
}

} // namespace cli
