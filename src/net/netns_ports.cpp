#include "net/netns_ports.hpp"

#include "net/slirp4netns.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace net {

namespace {

// One request and its reply (slirp4netns answers, then closes the connection).
nlohmann::json call(const std::filesystem::path& api_socket, const nlohmann::json& request) {
  std::string where = util::cat("slirp4netns API ", util::quote(api_socket.string()));
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd)
    util::throw_errno(util::cat("create a socket for ", where));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (api_socket.string().size() >= sizeof addr.sun_path)
    throw util::Error(util::cat(where, ": path too long for a unix socket"));
  std::strncpy(addr.sun_path, api_socket.c_str(), sizeof addr.sun_path - 1);
  util::check(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              util::cat("connect to ", where));
  std::string text = request.dump();
  util::check(::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL),
              util::cat("send to ", where));
  ::shutdown(fd.get(), SHUT_WR);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    util::check(n, util::cat("read from ", where));
    reply.append(buf, static_cast<size_t>(n));
  }
  try {
    return nlohmann::json::parse(reply);
  } catch (const nlohmann::json::exception& e) {
    throw util::Error(util::cat(where, ": malformed reply ", util::quote(reply), ": ", e.what()));
  }
}

} // namespace

int add_forward(const std::filesystem::path& api_socket, PortMapping& mapping, Ipv4 guest) {
  if (is_ipv6(mapping.host_ip))
    throw util::Error(util::cat("publish ", describe(mapping),
                                ": slirp4netns forwards UDP on IPv4 host addresses only (use "
                                "--network pasta for IPv6)"));
  mapping.host_port = check_host_port(mapping);
  nlohmann::json request = {{"execute", "add_hostfwd"},
                            {"arguments",
                             {{"proto", std::string(to_string(mapping.protocol))},
                              {"host_addr", mapping.host_ip},
                              {"host_port", mapping.host_port},
                              {"guest_addr", guest.str()},
                              {"guest_port", mapping.container_port}}}};
  nlohmann::json reply = call(api_socket, request);
  if (reply.contains("error") || !reply.contains("return"))
    throw util::Error(util::cat("publish ", describe(mapping), ": slirp4netns: ",
                                reply.contains("error")
                                    ? reply["error"].value("desc", reply["error"].dump())
                                    : reply.dump()));
  LOG_DEBUG("published ", describe(mapping), " to ", guest.str());
  return reply["return"].value("id", -1);
}

void remove_forward(const std::filesystem::path& api_socket, int id) {
  nlohmann::json reply =
      call(api_socket, {{"execute", "remove_hostfwd"}, {"arguments", {{"id", id}}}});
  if (reply.contains("error"))
    throw util::Error(util::cat("remove port forward ", id, ": slirp4netns: ",
                                reply["error"].value("desc", reply["error"].dump())));
}

} // namespace net
