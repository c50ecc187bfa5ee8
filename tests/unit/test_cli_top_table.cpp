#include "cli/top_table.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

namespace {

constexpr std::string_view ps_ef =
    "UID          PID    PPID  C STIME TTY          TIME CMD\n"
    "root           1       0  0 14:19 ?        00:01:13 /sbin/init splash\n"
    "300000      4242    4240  0 15:01 ?        00:00:00 sleep 1000\n"
    "300000      4250    4242  0 15:02 pts/3    00:00:00 sh -c echo  two  spaces\n";

} // namespace

TEST_SUITE("cli.top_table") {
  TEST_CASE("rows of the container's pids, the command kept whole") {
    cli::ProcessTable table = cli::filter_ps_output(ps_ef, {4242, 4250});
    CHECK(table.titles ==
          std::vector<std::string>{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"});
    REQUIRE(table.rows.size() == 2);
    CHECK(table.rows[0] == std::vector<std::string>{"300000", "4242", "4240", "0", "15:01", "?",
                                                    "00:00:00", "sleep 1000"});
    CHECK(table.rows[1].back() == "sh -c echo two spaces");
  }

  TEST_CASE("thread rows follow their process") {
    constexpr std::string_view ps_m = "  PID TTY      STAT   TIME COMMAND\n"
                                      "    1 ?        -      0:01 init\n"
                                      "    - -        Ss     0:01 -\n"
                                      "   42 ?        -      0:00 app\n"
                                      "    - -        Sl     0:00 -\n"
                                      "    - -        Sl     0:00 -\n";
    cli::ProcessTable table = cli::filter_ps_output(ps_m, {42});
    REQUIRE(table.rows.size() == 3);
    CHECK(table.rows[0][0] == "42");
    CHECK(table.rows[2][2] == "Sl");
  }

  TEST_CASE("errors") {
    CHECK_THROWS_WITH_AS(cli::filter_ps_output("USER COMMAND\nroot init\n", {1}),
                         doctest::Contains("PID"), util::Error);
    CHECK_THROWS_AS(cli::filter_ps_output("PID CMD\nabc init\n", {1}), util::Error);
  }

  TEST_CASE("Docker's layout: at least 20 wide, 3 spaces past the widest cell") {
    cli::ProcessTable table{{"UID", "PID", "CMD"}, {{"300000", "4242", "sleep 1000"}}};
    CHECK(cli::format_process_table(table) ==
          "UID                 PID                 CMD\n"
          "300000              4242                sleep 1000\n");
    cli::ProcessTable wide{{"A", "CMD"}, {{std::string(20, 'x'), "c"}}};
    CHECK(cli::format_process_table(wide) == "A" + std::string(22, ' ') + "CMD\n" +
                                                 std::string(20, 'x') + "   c\n");
  }
}
