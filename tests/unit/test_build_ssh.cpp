#include "build/run_mount_setup.hpp"
#include "build/run_mounts.hpp"
#include "build/ssh_agent_proxy.hpp"
#include "build/ssh_sources.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

TEST_SUITE_BEGIN("build");

using namespace build;

namespace {
SecretEnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

sockaddr_un address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// A listening Unix socket at `path`.
util::UniqueFd listening(const std::string& path) {
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto addr = address(path);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 4) == 0);
  return fd;
}

util::UniqueFd connected(const std::string& path) {
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto addr = address(path);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}
} // namespace

TEST_CASE("run mounts: ssh defaults and options") {
  auto m = parse_run_mount("type=ssh");
  CHECK(m.type == RunMountType::ssh);
  CHECK(m.id == "default");
  CHECK(m.target.empty()); // numbered with the RUN's other ssh mounts
  CHECK(m.mode == 0600);
  CHECK(m.uid == 0);
  CHECK(m.gid == 0);
  CHECK_FALSE(m.required);
  m = parse_run_mount("type=ssh,id=git,target=agent.sock,required=true,mode=0666,uid=1000,gid=100", "/work");
  CHECK(m.id == "git");
  CHECK(m.target == "/work/agent.sock");
  CHECK(m.required);
  CHECK(m.mode == 0666);
  CHECK(m.uid == 1000);
  CHECK(m.gid == 100);
  CHECK(parse_run_mount("type=ssh,required").required);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=ssh,source=x"),
                       "--mount=type=ssh,source=x: unknown option \"source\" for type=ssh", util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=ssh,mode=9"), doctest::Contains("expected an octal mode"), util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=ssh,uid=x"), doctest::Contains("uid=x: expected a number"), util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=ssh,required=maybe"), doctest::Contains("expected true or false"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_run_mount("type=ssh,target=/"), doctest::Contains("cannot mount over the root directory"),
                       util::Error);
}

TEST_CASE("run mounts: ssh targets are numbered as BuildKit does; SSH_AUTH_SOCK is the first") {
  std::vector<RunMount> mounts{parse_run_mount("type=cache,target=/c"), parse_run_mount("type=ssh"),
                               parse_run_mount("type=ssh,id=b,target=/s"), parse_run_mount("type=ssh,id=c")};
  CHECK(ssh_auth_sock(mounts) == "");
  check_run_mounts(mounts);
  CHECK(mounts[1].target == "/run/buildkit/ssh_agent.0");
  CHECK(mounts[2].target == "/s");
  CHECK(mounts[3].target == "/run/buildkit/ssh_agent.2");
  CHECK(ssh_auth_sock(mounts) == "/run/buildkit/ssh_agent.0");
  std::vector<RunMount> none{parse_run_mount("type=tmpfs,target=/t")};
  check_run_mounts(none);
  CHECK(ssh_auth_sock(none) == "");
  std::vector<RunMount> clash{parse_run_mount("type=ssh"),
                              parse_run_mount("type=tmpfs,target=/run/buildkit/ssh_agent.0")};
  CHECK_THROWS_WITH_AS(check_run_mounts(clash), doctest::Contains("two mounts on"), util::Error);
}

TEST_CASE("ssh: a required id must be given") {
  std::vector<RunMount> mounts{parse_run_mount("type=ssh,id=git,required")};
  std::vector<SshSource> given{{"default", "/run/agent"}};
  CHECK_THROWS_WITH_AS(check_required_ssh(mounts, given),
                       "ssh agent \"git\" is required but was not given (pass --ssh git[=SOCKET])", util::Error);
  given.push_back({"git", "/run/git-agent"});
  CHECK_NOTHROW(check_required_ssh(mounts, given));
  CHECK_NOTHROW(check_required_ssh({parse_run_mount("type=ssh,id=other")}, given)); // not required: left out
}

TEST_CASE("ssh: --ssh values as Docker reads them") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-ssh-");
  auto sock = (dir.path() / "agent.sock").string();
  auto listener = listening(sock);
  auto with_agent = env_of({{"SSH_AUTH_SOCK", sock}});
  CHECK(parse_ssh_flag("default", with_agent) == SshSource{"default", sock});
  CHECK(parse_ssh_flag("git", with_agent) == SshSource{"git", sock});
  CHECK(parse_ssh_flag("git=" + sock, env_of({})) == SshSource{"git", sock});
  CHECK_THROWS_WITH_AS(parse_ssh_flag("default", env_of({})),
                       "--ssh \"default\": SSH_AUTH_SOCK is not set (start ssh-agent or pass default=SOCKET)",
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_ssh_flag("=x", env_of({})), doctest::Contains("expected default or ID[=SOCKET]"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_ssh_flag("a=", env_of({})), doctest::Contains("the socket path after = is empty"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_ssh_flag("a=" + sock + "," + sock, env_of({})),
                       doctest::Contains("one agent socket per id"), util::Error);
  CHECK_THROWS_WITH_AS(parse_ssh_flag("a=" + (dir.path() / "missing").string(), env_of({})),
                       doctest::Contains("No such file or directory"), util::Error);
  auto key = dir.path() / "id_ed25519";
  { util::UniqueFd fd(::open(key.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)); }
  CHECK_THROWS_WITH_AS(parse_ssh_flag("a=" + key.string(), env_of({})), doctest::Contains("is not a socket"),
                       util::Error);
  std::vector<SshSource> all{{"a", "/x"}, {"a", "/y"}};
  CHECK(find_ssh(all, "a")->socket == "/y");
  CHECK(find_ssh(all, "b") == nullptr);
}

TEST_CASE("ssh: the proxy socket has the mount's mode and forwards to the agent") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-ssh-");
  auto agent_path = (dir.path() / "agent.sock").string();
  auto agent = listening(agent_path);
  std::filesystem::create_directories(dir.path() / "tmp");
  std::filesystem::path socket_path;
  {
    SshAgentProxy proxy(dir.path() / "tmp", agent_path, 0640, ::getuid(), ::getgid());
    socket_path = proxy.socket();
    struct stat st {};
    REQUIRE(::lstat(socket_path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0640);
    // A fake agent answering one request with SSH_AGENT_IDENTITIES_ANSWER and no keys.
    std::thread fake([&] {
      util::UniqueFd conn(::accept4(agent.get(), nullptr, nullptr, SOCK_CLOEXEC));
      char req[5];
      if (::recv(conn.get(), req, sizeof req, MSG_WAITALL) == 5 && req[4] == 11) {
        const char answer[] = {0, 0, 0, 5, 12, 0, 0, 0, 0};
        (void)::send(conn.get(), answer, sizeof answer, MSG_NOSIGNAL);
      }
    });
    auto client = connected(socket_path.string());
    const char request[] = {0, 0, 0, 1, 11};
    REQUIRE(::send(client.get(), request, sizeof request, MSG_NOSIGNAL) == 5);
    char reply[9] = {};
    CHECK(::recv(client.get(), reply, sizeof reply, MSG_WAITALL) == 9);
    CHECK(reply[4] == 12);
    fake.join();
  }
  CHECK_FALSE(std::filesystem::exists(socket_path.parent_path())); // gone with the proxy
}
