#include "runtime/restart_policy.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace std::chrono_literals;
using runtime::RestartMode;
using runtime::RestartPolicy;
using runtime::RestartTracker;
using runtime::StopCause;

TEST_SUITE_BEGIN("runtime");

TEST_CASE("restart policies parse with Docker's names and an on-failure count") {
  CHECK(RestartPolicy::parse("").mode == RestartMode::no);
  CHECK(RestartPolicy::parse("no").mode == RestartMode::no);
  CHECK(RestartPolicy::parse("always").mode == RestartMode::always);
  CHECK(RestartPolicy::parse("unless-stopped").mode == RestartMode::unless_stopped);
  RestartPolicy on_failure = RestartPolicy::parse("on-failure");
  CHECK(on_failure.mode == RestartMode::on_failure);
  CHECK(on_failure.max_retries == 0);
  RestartPolicy three = RestartPolicy::parse("on-failure:3");
  CHECK(three.max_retries == 3);
  CHECK(three.str() == "on-failure:3");
  CHECK(three.name() == "on-failure");
  CHECK(RestartPolicy::parse(three.str()) == three);
  CHECK(RestartPolicy::parse("unless-stopped").str() == "unless-stopped");
  CHECK_FALSE(RestartPolicy::parse("no").restarts());
  CHECK(RestartPolicy::parse("always").restarts());
}

TEST_CASE("bad restart policies are rejected, quoting the text") {
  CHECK_THROWS_WITH_AS(RestartPolicy::parse("sometimes"),
                       doctest::Contains("\"sometimes\""), util::Error);
  CHECK_THROWS_WITH_AS(RestartPolicy::parse("always:3"),
                       doctest::Contains("only allowed with on-failure"), util::Error);
  CHECK_THROWS_AS(RestartPolicy::parse("on-failure:x"), util::Error);
  CHECK_THROWS_AS(RestartPolicy::parse("on-failure:-1"), util::Error);
  CHECK_THROWS_AS(RestartPolicy::parse("on-failure:"), util::Error);
}

TEST_CASE("no never restarts") {
  RestartTracker tracker(RestartPolicy::parse("no"));
  CHECK_FALSE(tracker.next(1, StopCause::exited, 0ms));
  CHECK(tracker.restart_count() == 0);
}

TEST_CASE("on-failure:2 restarts a failing command exactly twice, never a success") {
  RestartTracker tracker(RestartPolicy::parse("on-failure:2"));
  CHECK(tracker.next(1, StopCause::exited, 0ms) == 100ms);
  CHECK(tracker.next(1, StopCause::exited, 0ms) == 200ms);
  CHECK_FALSE(tracker.next(1, StopCause::exited, 0ms));
  CHECK(tracker.restart_count() == 2);

  RestartTracker success(RestartPolicy::parse("on-failure"));
  CHECK_FALSE(success.next(0, StopCause::exited, 0ms));
  CHECK(success.restart_count() == 0);
}

TEST_CASE("always restarts with a doubling delay capped at one minute") {
  RestartTracker tracker(RestartPolicy::parse("always"));
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 12; ++i)
    delays.push_back(*tracker.next(0, StopCause::exited, 0ms));
  CHECK(delays[0] == 100ms);
  CHECK(delays[1] == 200ms);
  CHECK(delays[2] == 400ms);
  CHECK(delays[9] == 51200ms);
  CHECK(delays[10] == 60000ms);
  CHECK(delays[11] == 60000ms);
  CHECK(tracker.restart_count() == 12);
}

TEST_CASE("a run of ten seconds resets the back-off but not the count") {
  RestartTracker tracker(RestartPolicy::parse("always"));
  tracker.next(1, StopCause::exited, 0ms);
  tracker.next(1, StopCause::exited, 0ms);
  CHECK(tracker.next(1, StopCause::exited, 0ms) == 400ms);
  CHECK(tracker.next(1, StopCause::exited, 10s) == 100ms);
  CHECK(tracker.next(1, StopCause::exited, 9999ms) == 200ms);
  CHECK(tracker.restart_count() == 5);
}

TEST_CASE("a stop requested by the user ends restarting for every policy") {
  for (const char* text : {"always", "unless-stopped", "on-failure"}) {
    CAPTURE(text);
    RestartTracker tracker(RestartPolicy::parse(text));
    CHECK(tracker.next(137, StopCause::exited, 0ms));
    CHECK_FALSE(tracker.next(137, StopCause::requested, 0ms));
    CHECK(tracker.restart_count() == 1);
  }
}

TEST_SUITE_END();
