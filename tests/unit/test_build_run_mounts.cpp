#include "build/dir_sink.hpp"
#include "build/dockerfile.hpp"
#include "build/run_mounts.hpp"
#include "build/secrets.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

TEST_SUITE_BEGIN("build");

using namespace build;

namespace {
SecretEnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}
} // namespace

TEST_CASE("run mounts: cache with defaults and every option") {
  auto m = parse_run_mount("type=cache,target=/root/.cache");
  CHECK(m.type == RunMountType::cache);
  CHECK(m.target == "/root/.cache");
  CHECK(m.id == "/root/.cache"); // the id defaults to the target
  CHECK_FALSE(m.read_only);
  CHECK(m.sharing == CacheSharing::shared);
  CHECK(m.mode == 0755);
  CHECK(m.uid == 0);

  m = parse_run_mount("type=cache,target=/x/,id=go,sharing=locked,ro,uid=1000,gid=1001,mode=0700,from=base,source=/var/cache");
  CHECK(m.target == "/x");
  CHECK(m.id == "go");
  CHECK(m.sharing == CacheSharing::locked);
  CHECK(m.read_only);
  CHECK(m.uid == 1000);
  CHECK(m.gid == 1001);
  CHECK(m.mode == 0700);
  CHECK(m.from == "base");
  CHECK(m.source == "var/cache");
  CHECK(parse_run_mount("type=cache,dst=/a,sharing=private").sharing == CacheSharing::private_);
  CHECK(parse_run_mount("type=cache,destination=/a,readonly=false").read_only == false);
}

TEST_CASE("run mounts: a relative target is under the working directory") {
  CHECK(parse_run_mount("type=cache,target=cache", "/app").target == "/app/cache");
  CHECK(parse_run_mount("type=cache,target=../up", "/app/sub").target == "/app/up");
}

TEST_CASE("run mounts: bind is the default type and read-only unless rw") {
  auto m = parse_run_mount("target=/src");
  CHECK(m.type == RunMountType::bind);
  CHECK(m.read_only);
  CHECK(m.source.empty());
  CHECK(m.from.empty());
  m = parse_run_mount("type=bind,source=./lib/../pkg,target=/src,rw");
  CHECK_FALSE(m.read_only);
  CHECK(m.source == "pkg");
  m = parse_run_mount("type=bind,from=builder,src=/out,target=/in,readwrite=true");
  CHECK(m.from == "builder");
  CHECK(m.source == "out");
  CHECK_FALSE(m.read_only);
  CHECK(parse_run_mount("type=bind,source=/,target=/a").source.empty());
}

TEST_CASE("run mounts: secret defaults") {
  auto m = parse_run_mount("type=secret,id=tok");
  CHECK(m.type == RunMountType::secret);
  CHECK(m.target == "/run/secrets/tok");
  CHECK(m.mode == 0400);
  CHECK_FALSE(m.required);
  m = parse_run_mount("type=secret,target=/etc/npmrc,required,mode=0440,uid=1,gid=2");
  CHECK(m.id == "npmrc"); // the id defaults to the target's base name
  CHECK(m.required);
  CHECK(m.mode == 0440);
  CHECK(m.uid == 1);
  CHECK(m.gid == 2);
  CHECK(parse_run_mount("type=secret,id=a,required=false").required == false);
}

TEST_CASE("run mounts: tmpfs and its size") {
  auto m = parse_run_mount("type=tmpfs,target=/tmp/t");
  CHECK(m.type == RunMountType::tmpfs);
  CHECK_FALSE(m.size);
  CHECK(*parse_run_mount("type=tmpfs,target=/t,size=64m").size == 64ULL << 20);
  CHECK(*parse_run_mount("type=tmpfs,target=/t,size=4096").size == 4096);
  CHECK(*parse_run_mount("type=tmpfs,target=/t,size=1g").size == 1ULL << 30);
}

TEST_CASE("run mounts: quoted CSV fields and upper-case keys") {
  auto m = parse_run_mount("type=cache,\"target=/a,b\",ID=x");
  CHECK(m.target == "/a,b");
  CHECK(m.id == "x");
}

TEST_CASE("run mounts: errors quote the value and say what is wrong") {
  CHECK_THROWS_WITH_AS(parse_run_mount("type=sshd"),
                       "--mount=type=sshd: type=sshd is not supported (bind, cache, tmpfs, secret or ssh)", util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache"), "--mount=type=cache: target= is required", util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,target=/"), doctest::Contains("cannot mount over the root directory"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=secret"), doctest::Contains("needs id= or target="), util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=bind,target=/a,sharing=locked"),
                       doctest::Contains("unknown option \"sharing\" for type=bind"), util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=secret,id=a,env=A"), doctest::Contains("unknown option \"env\" for type=secret"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=tmpfs,target=/a,id=x"), doctest::Contains("unknown option \"id\""),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,target=/a,sharing=sometimes"),
                       doctest::Contains("sharing=sometimes: expected shared, private or locked"), util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,target=/a,mode=rwx"), doctest::Contains("expected an octal mode"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,target=/a,uid=me"), doctest::Contains("uid=me: expected a number"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,target=/a,ro=maybe"), doctest::Contains("expected true or false"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=tmpfs,target=/a,size=big"), doctest::Contains("expected a size"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=bind,target=/a,source=../x"), doctest::Contains("outside the mount's source"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,target=/a,source=x"), doctest::Contains("source= needs from="),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=cache,\"target=/a"), doctest::Contains("unterminated quote"), util::Error);
}

TEST_CASE("run mounts: two mounts on one target are refused") {
  std::vector<RunMount> mounts{parse_run_mount("type=cache,target=/a"), parse_run_mount("type=tmpfs,target=/a/")};
  CHECK_THROWS_WITH_AS(check_run_mounts(mounts), "--mount: two mounts on \"/a\"", util::Error);
  mounts.pop_back();
  CHECK_NOTHROW(check_run_mounts(mounts));
}

TEST_CASE("run mounts: from= names for building stages first") {
  CHECK(mount_from_names({"type=bind,from=builder,target=/x", "type=cache,target=/c", "type=cache,target=/d,from=0"}) ==
        std::vector<std::string>{"builder", "0"});
  CHECK(mount_from_names({"type=bind,\"target"}).empty());
}

TEST_CASE("run network: default, none and host") {
  CHECK(run_network("", "slirp4netns") == "slirp4netns");
  CHECK(run_network("default", "none") == "none");
  CHECK(run_network("none", "slirp4netns") == "none");
  CHECK(run_network("host", "none") == "host");
  CHECK_THROWS_WITH_AS(run_network("bridge", "host"), "--network=bridge: expected default, none or host", util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nRUN --network=slirp true"),
                       "Dockerfile:2: --network=slirp: expected default, none or host", util::Error);
  auto df = parse_dockerfile("FROM x\nRUN --network=none --mount=type=cache,target=/c true");
  const auto& run = std::get<Run>(df.stages[0].instructions[0].body);
  CHECK(run.network == "none");
  CHECK(run.mounts == std::vector<std::string>{"type=cache,target=/c"});
}

TEST_CASE("secrets: --secret sources as Docker reads them") {
  auto none = env_of({});
  auto s = parse_secret_flag("id=tok,src=/run/tok.txt", none);
  CHECK(s == SecretSource{"tok", SecretSource::Kind::file, "/run/tok.txt"});
  CHECK(parse_secret_flag("id=tok,source=f", none).location == "f");
  CHECK(parse_secret_flag("id=tok,env=TOKEN", none) == SecretSource{"tok", SecretSource::Kind::env, "TOKEN"});
  CHECK(parse_secret_flag("type=env,id=tok,src=TOKEN", none) == SecretSource{"tok", SecretSource::Kind::env, "TOKEN"});
  CHECK(parse_secret_flag("type=env,id=TOKEN", none) == SecretSource{"TOKEN", SecretSource::Kind::env, "TOKEN"});
  // Neither src nor env: the variable named like the id when set, else the file named like it.
  CHECK(parse_secret_flag("id=TOKEN", env_of({{"TOKEN", "v"}})) == SecretSource{"TOKEN", SecretSource::Kind::env, "TOKEN"});
  CHECK(parse_secret_flag("id=TOKEN", none) == SecretSource{"TOKEN", SecretSource::Kind::file, "TOKEN"});
  CHECK(parse_secret_flag("id=TOKEN,type=file", env_of({{"TOKEN", "v"}})).kind == SecretSource::Kind::file);
}

TEST_CASE("secrets: --secret errors") {
  auto none = env_of({});
  CHECK_THROWS_WITH_AS(parse_secret_flag("src=/x", none), "--secret \"src=/x\": id= is required", util::Error);
  CHECK_THROWS_WITH_AS(parse_secret_flag("id=a,what=b", none), doctest::Contains("unknown key \"what\""), util::Error);
  CHECK_THROWS_WITH_AS(parse_secret_flag("id", none), doctest::Contains("must be a key=value pair"), util::Error);
  CHECK_THROWS_WITH_AS(parse_secret_flag("id=a,type=ssh", none), doctest::Contains("type=ssh is not file or env"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_secret_flag("id=a,src=f,env=E", none), doctest::Contains("not both"), util::Error);
}

TEST_CASE("secrets: values are read from the variable or the file") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-secret-");
  util::write_file_atomic(dir.path() / "tok", "s3cret\n", 0600);
  CHECK(read_secret({"tok", SecretSource::Kind::file, (dir.path() / "tok").string()}, env_of({})) == "s3cret\n");
  CHECK(read_secret({"tok", SecretSource::Kind::env, "T"}, env_of({{"T", "abc"}})) == "abc");
  CHECK_THROWS_WITH_AS(read_secret({"tok", SecretSource::Kind::env, "T"}, env_of({})),
                       "secret \"tok\": environment variable T is not set", util::Error);
  CHECK_THROWS_WITH_AS(read_secret({"tok", SecretSource::Kind::file, (dir.path() / "missing").string()}, env_of({})),
                       doctest::Contains("secret \"tok\": "), util::Error);
  std::vector<SecretSource> all{{"a", SecretSource::Kind::env, "A"}, {"a", SecretSource::Kind::env, "B"}};
  CHECK(find_secret(all, "a")->location == "B"); // the last one wins
  CHECK(find_secret(all, "b") == nullptr);
}

TEST_CASE("dir sink: entries become files, directories and links with their modes") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-dirsink-");
  DirSink sink(dir.path());
  sink.add_dir("d", EntryMeta{::geteuid(), ::getegid(), 0750, 0});
  sink.add_bytes("d/f", "hello", EntryMeta{::geteuid(), ::getegid(), 0640, 1000000000});
  sink.add_symlink("d/l", "f", EntryMeta{::geteuid(), ::getegid(), 0777, 0});
  struct stat st {};
  REQUIRE(::stat((dir.path() / "d").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  REQUIRE(::stat((dir.path() / "d/f").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_mtime == 1000000000);
  CHECK(util::read_file(dir.path() / "d/l") == "hello");
  CHECK_THROWS_WITH_AS(sink.add_bytes("../escape", "x", EntryMeta{}), doctest::Contains("leaves"), util::Error);
}

TEST_SUITE_END();
