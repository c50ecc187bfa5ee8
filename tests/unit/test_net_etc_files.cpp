#include "net/etc_files.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <string>

TEST_SUITE_BEGIN("net");

namespace {

using net::NetworkKind;
using Strings = std::vector<std::string>;

const std::string debian_hosts = R"(127.0.0.1	localhost
127.0.1.1	buildhost.example.org	buildhost

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters   # trailing comment
10.0.0.9
)";

const std::string stub_resolv =
    R"(# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
nameserver 127.0.0.53
options edns0 trust-ad
search lan
)";

const std::string plain_resolv = R"(domain old.example
search corp.example lan
nameserver 192.168.1.1
nameserver 127.0.0.1
nameserver ::1
nameserver 2001:db8::53
; a comment
options ndots:2
options timeout:1
)";

std::string resolv(std::string_view host, NetworkKind kind, Strings servers = {},
                   Strings search = {}, Strings options = {}) {
  return net::make_resolv_conf(host, kind, servers, search, options);
}

} // namespace

TEST_CASE("hosts: host file entries first, then localhost and hostname when missing") {
  std::string hosts = net::make_hosts("c0ffee123456", debian_hosts, NetworkKind::none, {});
  CHECK(hosts == "127.0.0.1\tlocalhost\n"
                 "127.0.1.1\tbuildhost.example.org buildhost\n"
                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                 "ff02::1\tip6-allnodes\n"
                 "ff02::2\tip6-allrouters\n"
                 "127.0.0.1\tc0ffee123456\n");
}

TEST_CASE("hosts: empty host file gives the usual localhost lines") {
  CHECK(net::make_hosts("box", "", NetworkKind::none, {}) ==
        "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbox\n");
  CHECK(net::make_hosts("box", "", NetworkKind::host, {}) ==
        "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbox\n");
  CHECK(net::make_hosts("box", "", NetworkKind::private_net, {}) ==
        "127.0.0.1\tlocalhost\n::1\tlocalhost\n10.0.2.100\tbox\n");
  // slirp4netns:cidr= moves the container's address and the DNS forwarder.
  CHECK(net::make_hosts("box", "", NetworkKind::private_net, {}, "10.5.0.100") ==
        "127.0.0.1\tlocalhost\n::1\tlocalhost\n10.5.0.100\tbox\n");
  CHECK(net::make_resolv_conf("", NetworkKind::private_net, {}, {}, {}, "10.5.0.3") ==
        "nameserver 10.5.0.3\n");
}

TEST_CASE("hosts: extra hosts come first and win over generated names") {
  net::ExtraHosts extra = {
      {"db;db.local", "10.1.2.3"}, {"box", "192.0.2.7"}, {"v6", "2001:db8::1"}};
  std::string hosts = net::make_hosts("box", "", NetworkKind::private_net, extra);
  CHECK(hosts == "10.1.2.3\tdb db.local\n"
                 "192.0.2.7\tbox\n"
                 "2001:db8::1\tv6\n"
                 "127.0.0.1\tlocalhost\n"
                 "::1\tlocalhost\n");
}

TEST_CASE("hosts: the hostname is not added twice") {
  std::string hosts = net::make_hosts("buildhost", debian_hosts, NetworkKind::host, {});
  CHECK(hosts.find("127.0.0.1\tbuildhost") == std::string::npos);
  CHECK(hosts.find("127.0.1.1\tbuildhost.example.org buildhost\n") != std::string::npos);
}

TEST_CASE("hosts: bad extra hosts") {
  CHECK_THROWS_WITH_AS(net::make_hosts("b", "", NetworkKind::none, {{"db", "not-an-ip"}}),
                       doctest::Contains("invalid host entry \"db:not-an-ip\""), util::Error);
  CHECK_THROWS_WITH_AS(net::make_hosts("b", "", NetworkKind::none, {{"", "1.2.3.4"}}),
                       doctest::Contains("bad hostname"), util::Error);
  CHECK_THROWS_WITH_AS(net::make_hosts("b", "", NetworkKind::none, {{"a;;b", "1.2.3.4"}}),
                       doctest::Contains("bad hostname"), util::Error);
  CHECK_THROWS_AS(net::make_hosts("b", "", NetworkKind::none, {{"a b", "1.2.3.4"}}), util::Error);
  CHECK_THROWS_AS(net::make_hosts("b", "", NetworkKind::none, {{"a", ""}}), util::Error);
}

TEST_CASE("hostname file") { CHECK(net::make_hostname("box") == "box\n"); }

TEST_CASE("loopback addresses") {
  CHECK(net::is_loopback_address("127.0.0.1"));
  CHECK(net::is_loopback_address("127.0.0.53"));
  CHECK(net::is_loopback_address("127.255.255.254"));
  CHECK(net::is_loopback_address("::1"));
  CHECK(net::is_loopback_address("0:0:0:0:0:0:0:1"));
  CHECK(net::is_loopback_address("::ffff:127.0.0.1"));
  CHECK_FALSE(net::is_loopback_address("128.0.0.1"));
  CHECK_FALSE(net::is_loopback_address("10.0.2.3"));
  CHECK_FALSE(net::is_loopback_address("::2"));
  CHECK_FALSE(net::is_loopback_address("fe80::1%eth0"));
  CHECK_FALSE(net::is_loopback_address("localhost"));
  CHECK_FALSE(net::is_loopback_address(""));
}

TEST_CASE("resolv.conf: host network keeps the host file verbatim") {
  CHECK(resolv(stub_resolv, NetworkKind::host) == stub_resolv);
  CHECK(resolv("", NetworkKind::host) == "");
}

TEST_CASE("resolv.conf: private namespaces drop loopback servers") {
  CHECK(resolv(plain_resolv, NetworkKind::none) == "search corp.example lan\n"
                                                   "nameserver 192.168.1.1\n"
                                                   "nameserver 2001:db8::53\n"
                                                   "options ndots:2 timeout:1\n");
  CHECK(resolv(plain_resolv, NetworkKind::private_net) == "search corp.example lan\n"
                                                          "nameserver 10.0.2.3\n"
                                                          "nameserver 192.168.1.1\n"
                                                          "nameserver 2001:db8::53\n"
                                                          "options ndots:2 timeout:1\n");
}

TEST_CASE("resolv.conf: nothing left means no nameserver line") {
  CHECK(resolv(stub_resolv, NetworkKind::none) == "search lan\noptions edns0 trust-ad\n");
  CHECK(resolv("", NetworkKind::none) == "");
  CHECK(resolv("garbage line\nnameserver\n", NetworkKind::none) == "");
}

TEST_CASE("resolv.conf: explicit settings replace the host's") {
  CHECK(resolv(plain_resolv, NetworkKind::private_net, {"1.1.1.1", "2606:4700::1111"}) ==
        "search corp.example lan\nnameserver 1.1.1.1\nnameserver 2606:4700::1111\n"
        "options ndots:2 timeout:1\n");
  CHECK(resolv(plain_resolv, NetworkKind::none, {}, {"a.example", "b.example"}, {"ndots:5"}) ==
        "search a.example b.example\nnameserver 192.168.1.1\nnameserver 2001:db8::53\n"
        "options ndots:5\n");
  CHECK(resolv(plain_resolv, NetworkKind::none, {"9.9.9.9"}, {"."}) ==
        "nameserver 9.9.9.9\noptions ndots:2 timeout:1\n");
  // Overrides on the host network regenerate the file but keep loopback servers.
  CHECK(resolv(stub_resolv, NetworkKind::host, {}, {"x.example"}) ==
        "search x.example\nnameserver 127.0.0.53\noptions edns0 trust-ad\n");
  // An explicit loopback server is the user's choice.
  CHECK(resolv("", NetworkKind::none, {"127.0.0.1"}) == "nameserver 127.0.0.1\n");
}

TEST_CASE("resolv.conf: invalid servers") {
  CHECK_THROWS_WITH_AS(resolv("", NetworkKind::none, {"dns.example"}),
                       doctest::Contains("invalid DNS server \"dns.example\""), util::Error);
  CHECK_THROWS_AS(resolv("", NetworkKind::none, {"1.2.3"}), util::Error);
  CHECK_NOTHROW(resolv("", NetworkKind::none, {"fe80::1%eth0"}));
}

TEST_CASE("hosts: CRLF host files and an empty hostname") {
  std::string hosts =
      net::make_hosts("", "127.0.0.1 localhost\r\n10.0.0.1\tgw gw.lan\r\n", NetworkKind::none, {});
  // "localhost" is already present, so no "::1 localhost" is added (names, not lines, count).
  CHECK(hosts == "127.0.0.1\tlocalhost\n10.0.0.1\tgw gw.lan\n");
}

TEST_CASE("resolv.conf: the last search or domain line wins") {
  CHECK(resolv("search a b\ndomain c\nnameserver 1.2.3.4\n", NetworkKind::none) ==
        "search c\nnameserver 1.2.3.4\n");
  CHECK(resolv("nameserver 1.2.3.4 # inline\n  nameserver   5.6.7.8\t\n", NetworkKind::none) ==
        "nameserver 1.2.3.4\nnameserver 5.6.7.8\n");
}

TEST_CASE("write_etc_files writes the three files") {
  util::TempDir dir(".", "etc-");
  net::EtcFilesRequest request;
  request.hostname = "c0ffee";
  request.network = NetworkKind::none;
  request.extra_hosts = {{"db", "10.9.9.9"}};
  request.dns_servers = {"9.9.9.9"};
  net::write_etc_files(dir.path(), request);
  CHECK(util::read_file(dir.path() / "hostname") == "c0ffee\n");
  std::string hosts = util::read_file(dir.path() / "hosts");
  CHECK(hosts.rfind("10.9.9.9\tdb\n", 0) == 0);
  CHECK(hosts.find("\tc0ffee\n") != std::string::npos);
  CHECK(util::read_file(dir.path() / "resolv.conf").find("nameserver 9.9.9.9\n") !=
        std::string::npos);
  struct stat st {};
  REQUIRE(::stat((dir.path() / "hosts").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  // Rewriting replaces the files in place and leaves no temporaries behind.
  request.hostname = "other";
  net::write_etc_files(dir.path(), request);
  CHECK(util::read_file(dir.path() / "hostname") == "other\n");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 3);
  CHECK_THROWS_AS(net::write_etc_files(dir.path() / "missing", request), util::Error);
}

TEST_SUITE_END();
