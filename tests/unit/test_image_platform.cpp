#include "image/platform.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <sys/utsname.h>

#include <string>

TEST_SUITE_BEGIN("image");

TEST_CASE("platform: host uses Go architecture names") {
  auto host = image::Platform::host();
  CHECK(host.os == "linux");
  struct utsname uts {};
  REQUIRE(::uname(&uts) == 0);
  std::string machine = uts.machine;
  if (machine == "x86_64") {
    CHECK(host.architecture == "amd64");
    CHECK(host.variant.empty());
  } else if (machine == "aarch64") {
    CHECK(host.architecture == "arm64");
    CHECK(host.variant == "v8");
  }
  CHECK(host.accepts(host));
  CHECK(image::Platform::parse(host.str()) == host);
}

TEST_CASE("platform: parse") {
  using image::Platform;
  CHECK(Platform::parse("linux/amd64") == Platform{"linux", "amd64", ""});
  CHECK(Platform::parse("linux/arm/v7") == Platform{"linux", "arm", "v7"});
  CHECK(Platform::parse("arm64") == Platform{"linux", "arm64", ""});
  CHECK(Platform::parse("linux/aarch64") == Platform{"linux", "arm64", ""});
  CHECK(Platform::parse("linux/x86_64") == Platform{"linux", "amd64", ""});
  CHECK(Platform::parse("Linux/AMD64") == Platform{"linux", "amd64", ""});
  CHECK(Platform::parse("linux/armhf") == Platform{"linux", "arm", "v7"});
  CHECK(Platform::parse("linux/arm64/v8") == Platform{"linux", "arm64", "v8"});
  CHECK(Platform::parse("windows/amd64") == Platform{"windows", "amd64", ""});
  for (const char* bad :
       {"", "/", "linux/", "/amd64", "linux/amd64/", "a/b/c/d", "linux/am d64", "linux//v7"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(Platform::parse(bad), doctest::Contains("invalid platform"), util::Error);
  }
}

TEST_CASE("platform: str") {
  CHECK(image::Platform{"linux", "arm", "v6"}.str() == "linux/arm/v6");
  CHECK(image::Platform{"linux", "amd64", ""}.str() == "linux/amd64");
}

TEST_CASE("platform: accepts") {
  using image::Platform;
  Platform arm64v8{"linux", "arm64", "v8"};
  CHECK(arm64v8.accepts({"linux", "arm64", ""}));
  CHECK(arm64v8.accepts({"linux", "arm64", "v8"}));
  CHECK_FALSE(arm64v8.accepts({"linux", "arm64", "v9"}));
  CHECK_FALSE(arm64v8.accepts({"linux", "amd64", ""}));
  CHECK_FALSE(arm64v8.accepts({"windows", "arm64", ""}));
  Platform amd64{"linux", "amd64", ""};
  CHECK(amd64.accepts({"linux", "amd64", ""}));
  CHECK_FALSE(amd64.accepts({"linux", "386", ""}));
  Platform armv7{"linux", "arm", "v7"};
  CHECK(armv7.accepts({"linux", "arm", ""}));
  CHECK_FALSE(armv7.accepts({"linux", "arm", "v6"}));
}

TEST_SUITE_END();
