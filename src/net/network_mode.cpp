#include "net/network_mode.hpp"

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

namespace net {

namespace {

constexpr std::string_view accepted =
    "use none, host or slirp4netns[:allow_host_loopback=true]";

bool parse_bool(std::string_view text, std::string_view value) {
  if (value == "true")
    return true;
  if (value == "false")
    return false;
  throw util::Error(util::cat("invalid network mode ", util::quote(text), ": ",
                              util::quote(value), " is not true or false"));
}

// "opt=value,opt=value" after "slirp4netns:".
void parse_slirp_options(std::string_view text, std::string_view options, NetworkMode& mode) {
  for (const std::string& option : util::split(options, ',')) {
    size_t eq = option.find('=');
    std::string_view key = std::string_view(option).substr(0, eq);
    if (key != "allow_host_loopback" || eq == std::string::npos)
      throw util::Error(util::cat("invalid network mode ", util::quote(text),
                                  ": unknown slirp4netns option ", util::quote(option),
                                  " (supported: allow_host_loopback=true|false)"));
    mode.allow_host_loopback = parse_bool(text, std::string_view(option).substr(eq + 1));
  }
}

} // namespace

NetworkMode NetworkMode::parse(std::string_view text) {
  NetworkMode mode;
  if (text == "none") {
    mode.driver = NetworkDriver::none;
  } else if (text == "host") {
    mode.driver = NetworkDriver::host;
  } else if (text == "slirp4netns" || text.rfind("slirp4netns:", 0) == 0) {
    mode.driver = NetworkDriver::slirp4netns;
    if (text.size() > 12)
      parse_slirp_options(text, text.substr(12), mode);
  } else {
    throw util::Error(util::cat("unsupported network mode ", util::quote(text), ": ", accepted));
  }
  return mode;
}

std::string NetworkMode::str() const {
  switch (driver) {
  case NetworkDriver::none:
    return "none";
  case NetworkDriver::host:
    return "host";
  case NetworkDriver::slirp4netns:
    return allow_host_loopback ? "slirp4netns:allow_host_loopback=true" : "slirp4netns";
  }
  return "none";
}

NetworkKind NetworkMode::etc_kind() const {
  switch (driver) {
  case NetworkDriver::none:
    return NetworkKind::none;
  case NetworkDriver::host:
    return NetworkKind::host;
  case NetworkDriver::slirp4netns:
    return NetworkKind::private_net;
  }
  return NetworkKind::none;
}

NetworkMode default_network_mode() {
  NetworkMode mode;
  if (util::find_program("slirp4netns")) {
    mode.driver = NetworkDriver::slirp4netns;
  } else {
    // Failing every run because an optional package is missing would be worse than running
    // with the host's network, which is what cove did before it had private networks.
    util::log::warning("slirp4netns is not installed: the container uses the host's network "
                       "(install slirp4netns for an isolated network)");
    mode.driver = NetworkDriver::host;
  }
  LOG_DEBUG("default network: ", mode.str());
  return mode;
}

} // namespace net
