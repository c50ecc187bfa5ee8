#include "runtime/container_log.hpp"
#include "runtime/container_state.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

using runtime::ContainerState;
using runtime::Status;

TEST_SUITE_BEGIN("runtime");

TEST_CASE("parse_proc_stat finds the state and start time after the last parenthesis") {
  std::string stat = "1234 (we (ird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 "
                     "987654 1000000 100 18446744073709551615";
  auto parsed = runtime::parse_proc_stat(stat);
  REQUIRE(parsed);
  CHECK(parsed->first == 'S');
  CHECK(parsed->second == 987654ULL);
  CHECK_FALSE(runtime::parse_proc_stat("garbage"));
  CHECK_FALSE(runtime::parse_proc_stat("1 (x) S 1 2"));
}

TEST_CASE("this process is alive; a different start time is not") {
  runtime::ProcessId self = runtime::self_process_id();
  CHECK(self.pid == ::getpid());
  CHECK(runtime::is_alive(self));
  CHECK_FALSE(runtime::is_alive({self.pid, self.start + 1}));
  CHECK_FALSE(runtime::is_alive({0, 0}));
}

TEST_CASE("state round-trips through JSON and old records get defaults") {
  ContainerState state;
  state.status = Status::exited;
  state.process = {42, 7};
  state.monitor = {41, 6};
  state.started_at = "2026-11-22T10:00:00Z";
  state.finished_at = "2026-11-22T10:05:00Z";
  state.exit_code = 3;
  state.stop_signal = "SIGQUIT";
  state.detached = true;
  ContainerState back = ContainerState::from_json(state.to_json());
  CHECK(back.status == Status::exited);
  CHECK(back.process == state.process);
  CHECK(back.monitor == state.monitor);
  CHECK(back.exit_code == 3);
  CHECK(back.stop_signal == "SIGQUIT");
  CHECK(back.detached);
  CHECK(ContainerState::from_json(nlohmann::json{{"status", "created"}}).status == Status::created);
  CHECK(ContainerState::from_json(nlohmann::json()).status == Status::created);
}

TEST_CASE("reconcile: only a running record with nothing alive becomes exited (137)") {
  ContainerState running;
  running.status = Status::running;
  CHECK_FALSE(runtime::reconcile(running, true, true, "now"));
  CHECK_FALSE(runtime::reconcile(running, true, false, "now"));
  // The monitor is alive and about to record the real status itself.
  CHECK_FALSE(runtime::reconcile(running, false, true, "now"));
  auto fixed = runtime::reconcile(running, false, false, "2026-11-22T10:00:00Z");
  REQUIRE(fixed);
  CHECK(fixed->status == Status::exited);
  CHECK(fixed->exit_code == 137);
  CHECK(fixed->finished_at == "2026-11-22T10:00:00Z");
  ContainerState exited;
  exited.status = Status::exited;
  CHECK_FALSE(runtime::reconcile(exited, false, false, "now"));
}

TEST_CASE("status_text uses Docker's wording") {
  long long t0 = 1795000000; // a fixed "now"
  ContainerState state;
  CHECK(runtime::status_text(state, t0) == "Created");
  state.status = Status::running;
  state.started_at = "2026-11-22T10:00:00Z";
  long long started = 1795341600; // 2026-11-22T10:00:00Z
  CHECK(runtime::status_text(state, started + 125) == "Up 2 minutes");
  CHECK(runtime::status_text(state, started + 5) == "Up 5 seconds");
  state.status = Status::exited;
  state.exit_code = 3;
  state.finished_at = "2026-11-22T10:00:00Z";
  CHECK(runtime::status_text(state, started + 7200) == "Exited (3) 2 hours ago");
}

TEST_CASE("parse_signal accepts names with or without SIG and numbers") {
  CHECK(runtime::parse_signal("KILL") == SIGKILL);
  CHECK(runtime::parse_signal("SIGTERM") == SIGTERM);
  CHECK(runtime::parse_signal("sigusr1") == SIGUSR1);
  CHECK(runtime::parse_signal("9") == 9);
  CHECK_THROWS(runtime::parse_signal("NOPE"));
  CHECK_THROWS(runtime::parse_signal("0"));
  CHECK_THROWS(runtime::parse_signal("65"));
}

TEST_CASE("k8s-file log lines parse and format back") {
  auto record = runtime::parse_log_line("2026-11-22T10:00:00.000000001Z stderr F hello world");
  REQUIRE(record);
  CHECK(record->stream == runtime::LogStream::err);
  CHECK_FALSE(record->partial);
  CHECK(record->text == "hello world");
  CHECK(runtime::format_log_line(*record) ==
        "2026-11-22T10:00:00.000000001Z stderr F hello world\n");
  auto empty = runtime::parse_log_line("2026-11-22T10:00:00Z stdout F");
  REQUIRE(empty);
  CHECK(empty->text.empty());
  CHECK(runtime::parse_log_line("t stdout P  two spaces")->text == " two spaces");
  CHECK_FALSE(runtime::parse_log_line("t stdin F x"));
  CHECK_FALSE(runtime::parse_log_line("t stdout X x"));
  CHECK_FALSE(runtime::parse_log_line("nothing"));
  CHECK(runtime::rfc3339_nano_now().size() == 30);
}

TEST_CASE("LogWriter splits lines, keeps streams apart and flushes partial lines") {
  util::TempDir dir("/tmp", "cove-test-log-");
  auto path = dir.path() / "ctr.log";
  {
    runtime::LogWriter log(path);
    log.append(runtime::LogStream::out, "one\ntw");
    log.append(runtime::LogStream::err, "err\n");
    log.append(runtime::LogStream::out, "o\nthree");
    log.flush();
  }
  std::vector<std::string> lines = util::split(util::read_file(path), '\n');
  REQUIRE(lines.size() >= 4);
  auto parse = [&](size_t i) { return *runtime::parse_log_line(lines[i]); };
  CHECK(parse(0).text == "one");
  CHECK(parse(1).stream == runtime::LogStream::err);
  CHECK(parse(2).text == "two");
  CHECK(parse(3).text == "three");
  CHECK(parse(3).partial);
}

TEST_SUITE_END();
