#include "runtime/user.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE_BEGIN("runtime");

namespace {

const std::string passwd = R"(root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin

app:x:1000:1000:App User,,,:/home/app:/bin/bash
broken line without colons
bad:x:notanumber:1:x:/bad:/bin/sh
nohome:x:1001:1001
1234:x:2000:2000::/numeric-name:/bin/sh
)";

const std::string group = R"(root:x:0:
daemon:x:1:app
wheel:x:10:root,app
users:x:100: app , other
app:x:1000:
staff:x:50:
broken
)";

runtime::ResolvedUser resolve(std::string_view spec) {
  return runtime::resolve_user(spec, passwd, group);
}

} // namespace

TEST_CASE("user: empty means root with its home and groups") {
  auto u = resolve("");
  CHECK(u.uid == 0);
  CHECK(u.gid == 0);
  CHECK(u.home == "/root");
  CHECK(u.groups == std::vector<gid_t>{10});
  CHECK(resolve("root") == u);
  CHECK(resolve("0") == u);
}

TEST_CASE("user: by name and by uid") {
  auto app = resolve("app");
  CHECK(app.uid == 1000);
  CHECK(app.gid == 1000);
  CHECK(app.home == "/home/app");
  CHECK(app.groups == std::vector<gid_t>{1, 10, 100});
  CHECK(resolve("1000") == app);
  auto nohome = resolve("nohome");
  CHECK(nohome.uid == 1001);
  CHECK(nohome.home == "/");
}

TEST_CASE("user: a name that looks numeric matches the name first") {
  auto u = resolve("1234");
  CHECK(u.uid == 2000);
  CHECK(u.home == "/numeric-name");
}

TEST_CASE("user: numeric uid not in passwd") {
  auto u = resolve("4242");
  CHECK(u.uid == 4242);
  CHECK(u.gid == 0);
  CHECK(u.home == "/");
  CHECK(u.groups.empty());
  auto with_group = resolve("4242:4343");
  CHECK(with_group.gid == 4343);
}

TEST_CASE("user: explicit group overrides the primary group and drops lookups") {
  auto u = resolve("app:staff");
  CHECK(u.uid == 1000);
  CHECK(u.gid == 50);
  CHECK(u.groups.empty());
  CHECK(resolve("app:50").gid == 50);
  CHECK(resolve("app:777").gid == 777);
  CHECK(resolve(":staff").uid == 0);
  CHECK(resolve(":staff").gid == 50);
  // "app:" is the same as "app".
  CHECK(resolve("app:") == resolve("app"));
}

TEST_CASE("user: unknown names") {
  CHECK_THROWS_WITH_AS(
      resolve("nobody"),
      doctest::Contains("unable to find user nobody: no matching entries in passwd file"),
      util::Error);
  CHECK_THROWS_WITH_AS(
      resolve("app:nogroup"),
      doctest::Contains("unable to find group nogroup: no matching entries in group file"),
      util::Error);
  CHECK_THROWS_WITH_AS(runtime::resolve_user("app", "", ""),
                       doctest::Contains("unable to find user app"), util::Error);
  CHECK_THROWS_WITH_AS(resolve("-1"), doctest::Contains("unable to find user -1"), util::Error);
}

TEST_CASE("user: ids out of range") {
  CHECK_THROWS_WITH_AS(resolve("2147483648"), doctest::Contains("0-2147483647"), util::Error);
  CHECK_THROWS_WITH_AS(resolve("0:99999999999"), doctest::Contains("0-2147483647"), util::Error);
  CHECK(resolve("2147483647").uid == 2147483647U);
}

TEST_CASE("user: missing passwd and group files") {
  auto u = runtime::resolve_user("", "", "");
  CHECK(u.uid == 0);
  CHECK(u.home == "/");
  CHECK(runtime::resolve_user("5:6", "", "").gid == 6);
}

TEST_SUITE_END();
