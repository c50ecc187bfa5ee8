#include "cli/mount_args.hpp"
#include "cli/run_args.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using runtime::Mount;
using runtime::MountType;

namespace {

Mount volume(std::string name, std::string destination, bool read_only = false) {
  Mount m;
  m.type = MountType::volume;
  m.source = std::move(name);
  m.destination = std::move(destination);
  m.read_only = read_only;
  m.anonymous = m.source.empty();
  return m;
}

} // namespace

TEST_SUITE_BEGIN("cli");

TEST_CASE("-v: bind mounts") {
  CHECK(cli::parse_volume_flag("/host:/ctr") == Mount{"/host", "/ctr", false});
  CHECK(cli::parse_volume_flag("/host/:/ctr/:ro") == Mount{"/host", "/ctr", true});
  CHECK(cli::parse_volume_flag("/h:/c:rw") == Mount{"/h", "/c", false});
  CHECK(cli::parse_volume_flag("/h:/c:ro,Z") == Mount{"/h", "/c", true});
  CHECK(cli::parse_volume_flag("/h:/c:z") == Mount{"/h", "/c", false});
  CHECK(cli::parse_volume_flag("/h:/a/../b") == Mount{"/h", "/b", false});
  CHECK(cli::parse_volume_flag("/:/mnt") == Mount{"/", "/mnt", false});
  Mount chown = cli::parse_volume_flag("/h:/c:U,ro");
  CHECK(chown.chown);
  CHECK(chown.read_only);
}

TEST_CASE("-v: named and anonymous volumes") {
  CHECK(cli::parse_volume_flag("data:/data") == volume("data", "/data"));
  CHECK(cli::parse_volume_flag("data:/data:ro") == volume("data", "/data", true));
  CHECK(cli::parse_volume_flag("/data") == volume("", "/data"));
  CHECK(cli::parse_volume_flag("/data/") == volume("", "/data"));
  Mount nocopy = cli::parse_volume_flag("my-vol.1:/d:nocopy,U");
  CHECK(nocopy.no_copy);
  CHECK(nocopy.chown);
  CHECK(nocopy.source == "my-vol.1");
}

TEST_CASE("-v: bad values name themselves") {
  const char* bad[] = {"/h:",       ":/c",         "/h:rel",    "/h:/",      "/h:/c:",
                       "/h:/c:xx",  "/h:/c:ro,rw", "/h:/c:ro:x", "/h:/..",   "./h:/c",
                       "rel/p:/x",  "a:/x",        "relative",  "/h:/c:nocopy", ""};
  for (const char* text : bad) {
    CAPTURE(text);
    CHECK_THROWS_AS(cli::parse_volume_flag(text), util::Error);
  }
  CHECK_THROWS_WITH_AS(cli::parse_volume_flag("/h:/c:xx"), doctest::Contains("\"/h:/c:xx\""),
                       util::Error);
  CHECK_THROWS_WITH_AS(cli::parse_volume_flag("rel/p:/x"), doctest::Contains("invalid volume name"),
                       util::Error);
}

TEST_CASE("--mount: each type, with Docker's aliases") {
  CHECK(cli::parse_mount_flag("type=bind,source=/h,target=/c") == Mount{"/h", "/c", false});
  CHECK(cli::parse_mount_flag("type=bind,src=/h,dst=/c,readonly") == Mount{"/h", "/c", true});
  CHECK(cli::parse_mount_flag("type=bind,src=/h,destination=/c,ro=true") == Mount{"/h", "/c", true});
  CHECK(cli::parse_mount_flag("type=bind,src=/h,destination=/c,readonly=false") ==
        Mount{"/h", "/c", false});
  CHECK(cli::parse_mount_flag("type=volume,source=data,target=/d") == volume("data", "/d"));
  CHECK(cli::parse_mount_flag("source=data,target=/d") == volume("data", "/d")); // default type
  CHECK(cli::parse_mount_flag("type=volume,target=/d,ro") == volume("", "/d", true));
  CHECK(cli::parse_mount_flag("type=volume,src=v1,dst=/d,volume-nocopy").no_copy);
  Mount tmpfs = cli::parse_mount_flag("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770");
  CHECK(tmpfs.type == MountType::tmpfs);
  CHECK(tmpfs.destination == "/t");
  CHECK(tmpfs.options == "size=1m,mode=1770");
  CHECK(cli::parse_mount_flag("type=tmpfs,dst=/t,readonly").read_only);
}

TEST_CASE("--mount: bad values") {
  const char* bad[] = {"type=bind,target=/c",           "type=bind,src=rel,dst=/c",
                       "type=nfs,dst=/c",               "type=volume,src=data",
                       "type=tmpfs,src=x,dst=/t",       "type=tmpfs,dst=/t,tmpfs-size=big",
                       "type=tmpfs,dst=/t,tmpfs-mode=9", "type=bind,src=/h,dst=/c,ro=maybe",
                       "type=bind,src=/h,dst=/c,bind-propagation=shared",
                       "type=bind,src=/h,dst=/c,tmpfs-size=1m",
                       "type=bind,src=/h,dst=/c,volume-nocopy", "type=volume,src=x y,dst=/c",
                       "type=volume,src,dst=/c"};
  for (const char* text : bad) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(cli::parse_mount_flag(text), doctest::Contains("--mount"), util::Error);
  }
}

TEST_CASE("--tmpfs") {
  Mount plain = cli::parse_tmpfs_flag("/run");
  CHECK(plain.type == MountType::tmpfs);
  CHECK(plain.destination == "/run");
  CHECK(plain.options.empty());
  CHECK_FALSE(plain.read_only);
  Mount with = cli::parse_tmpfs_flag("/run:rw,size=64m,mode=1777,exec");
  CHECK(with.options == "rw,size=64m,mode=1777,exec");
  CHECK(cli::parse_tmpfs_flag("/ro:ro").read_only);
  for (const char* bad : {"run", "/", "/t:size=x", "/t:bogus", "/t:mode=8"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(cli::parse_tmpfs_flag(bad), doctest::Contains("--tmpfs"), util::Error);
  }
}

TEST_CASE("run flags: -v, --mount and --tmpfs reach the request in order") {
  cli::RunFlags flags = cli::parse_run_args({"-v", "data:/d", "--mount", "type=tmpfs,dst=/t",
                                             "--tmpfs", "/run", "-v", "/h:/h:ro", "img"});
  runtime::RunRequest req = cli::to_run_request(flags);
  REQUIRE(req.mounts.size() == 4);
  CHECK(req.mounts[0] == volume("data", "/d"));
  CHECK(req.mounts[1] == Mount{"/h", "/h", true});
  CHECK(req.mounts[2].destination == "/t");
  CHECK(req.mounts[3].destination == "/run");
}

TEST_SUITE_END();
