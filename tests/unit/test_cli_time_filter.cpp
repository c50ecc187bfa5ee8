#include "cli/time_filter.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace {

constexpr std::int64_t s = 1'000'000'000;

// Runs `body` with the process time zone set to `tz`, then restores it.
template <typename F> void with_tz(const char* tz, F body) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  ::setenv("TZ", tz, 1);
  ::tzset();
  body();
  if (old)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

} // namespace

TEST_SUITE("cli.time_filter") {
  TEST_CASE("Go durations") {
    CHECK(cli::parse_go_duration("10m") == 600 * s);
    CHECK(cli::parse_go_duration("1h30m") == 5400 * s);
    CHECK(cli::parse_go_duration("1.5h") == 5400 * s);
    CHECK(cli::parse_go_duration("300ms") == 300'000'000);
    CHECK(cli::parse_go_duration("2us") == 2000);
    CHECK(cli::parse_go_duration("7ns") == 7);
    CHECK(cli::parse_go_duration("-2s") == -2 * s);
    CHECK(cli::parse_go_duration("0") == 0);
    CHECK_FALSE(cli::parse_go_duration("10"));
    CHECK_FALSE(cli::parse_go_duration(""));
    CHECK_FALSE(cli::parse_go_duration("m"));
    CHECK_FALSE(cli::parse_go_duration("1d"));
    CHECK_FALSE(cli::parse_go_duration("1.2.3s"));
  }

  TEST_CASE("RFC 3339 with a zone") {
    CHECK(cli::parse_rfc3339("1970-01-01T00:00:00Z") == 0);
    CHECK(cli::parse_rfc3339("2026-11-22T15:40:54.123456789Z") == 1795362054LL * s + 123456789);
    CHECK(cli::parse_rfc3339("2026-11-22T15:40:54.5Z") == 1795362054LL * s + 500'000'000);
    CHECK(cli::parse_rfc3339("2026-11-22T17:40:54+02:00") == 1795362054LL * s);
    CHECK(cli::parse_rfc3339("2026-11-22T10:40:54-05:00") == 1795362054LL * s);
    CHECK(cli::parse_rfc3339("2026-11-22T15:40Z") == 1795362000LL * s);
    CHECK(cli::parse_rfc3339("2026-11-22T15Z") == 1795359600LL * s);
    CHECK(cli::parse_rfc3339("2000-02-29Z") == 951782400LL * s);
  }

  TEST_CASE("RFC 3339 without a zone is local time") {
    with_tz("UTC0", [] {
      CHECK(cli::parse_rfc3339("2026-11-22T15:40:54") == 1795362054LL * s);
      CHECK(cli::parse_rfc3339("2026-11-22") == 1795305600LL * s);
    });
    with_tz("EST5", [] { CHECK(cli::parse_rfc3339("2026-11-22T10:40:54") == 1795362054LL * s); });
  }

  TEST_CASE("malformed times") {
    for (const char* bad : {"2026-13-01", "2026-11-22T25:00Z", "2026-11-22T15:40:54+0200",
                            "2026-11-22 15:40:54", "2026-11-22T15:40:54Zjunk", "yesterday", "",
                            "2026-1-2"})
      CHECK_MESSAGE(!cli::parse_rfc3339(bad), bad);
  }

  TEST_CASE("--since values: durations back from now, times, Unix timestamps") {
    const cli::UnixNanos now = 1795362054LL * s + 700'000'000;
    CHECK(cli::parse_time_argument("10m", now, "--since") == (1795362054LL - 600) * s);
    CHECK(cli::parse_time_argument("1h30m", now, "--since") == (1795362054LL - 5400) * s);
    CHECK(cli::parse_time_argument("0", now, "--since") == 0);
    CHECK(cli::parse_time_argument("1795362054", now, "--since") == 1795362054LL * s);
    CHECK(cli::parse_time_argument("1795362054.25", now, "--since") ==
          1795362054LL * s + 250'000'000);
    CHECK(cli::parse_time_argument("2026-11-22T15:40:54Z", now, "--until") == 1795362054LL * s);
    CHECK_THROWS_WITH_AS(cli::parse_time_argument("soon", now, "--until"),
                         doctest::Contains("--until: \"soon\""), util::Error);
    CHECK_THROWS_AS(cli::parse_time_argument("1795362054.x", now, "--since"), util::Error);
  }

  TEST_CASE("the window keeps both ends") {
    cli::TimeWindow window{10, 20};
    CHECK(window.contains(10));
    CHECK(window.contains(20));
    CHECK_FALSE(window.contains(9));
    CHECK_FALSE(window.contains(21));
    CHECK(cli::TimeWindow{}.contains(-5));
  }
}
