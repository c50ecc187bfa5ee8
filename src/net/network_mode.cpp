#include "net/network_mode.hpp"

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <utility>

namespace net {

namespace {

constexpr std::string_view accepted =
    "use none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS], container:NAME "
    "or the name of a network (network create)";

// pasta options cove sets itself (how pasta is run, which namespace, published ports, the host
// loopback policy): passing them again would conflict or break the container's lifecycle.
constexpr std::string_view pasta_managed[] = {
    "-f", "--foreground", "-P", "--pid", "--netns", "--userns", "--netns-only", "--runas",
    "-l", "--log-file", "--config-net", "-t", "--tcp-ports", "-u", "--udp-ports", "-T",
    "--tcp-ns", "-U", "--udp-ns", "-q", "--quiet", "-h", "--help", "--version", "--no-map-gw",
    "--no-netns-quit"};

bool parse_bool(std::string_view text, std::string_view value) {
  if (value == "true")
    return true;
  if (value == "false")
    return false;
  throw util::Error(util::cat("invalid network mode ", util::quote(text), ": ",
                              util::quote(value), " is not true or false"));
}

// slirp4netns' true|false options.
constexpr std::pair<std::string_view, bool NetworkMode::*> slirp_flags[] = {
    {"allow_host_loopback", &NetworkMode::allow_host_loopback},
    {"host_sockets", &NetworkMode::host_sockets},
    {"outbound_relay", &NetworkMode::outbound_relay},
    {"port_handover", &NetworkMode::port_handover},
    {"enable_ipv6", &NetworkMode::enable_ipv6},
};

// "opt=value,opt=value" after "slirp4netns:".
void parse_slirp_options(std::string_view text, std::string_view options, NetworkMode& mode) {
  for (const std::string& option : util::split(options, ',')) {
    size_t eq = option.find('=');
    std::string_view key = std::string_view(option).substr(0, eq);
    std::string_view value = eq == std::string::npos ? std::string_view() : std::string_view(option).substr(eq + 1);
    auto flag = std::find_if(std::begin(slirp_flags), std::end(slirp_flags),
                             [key](const auto& f) { return f.first == key; });
    if (eq == std::string::npos) {
    } else if (flag != std::end(slirp_flags)) {
      mode.*(flag->second) = parse_bool(text, value);
      continue;
    } else if (key == "mtu") {
      unsigned long long mtu = util::parse_unsigned(value, "slirp4netns mtu");
      if (mtu < 68 || mtu > 65521)
        throw util::Error(util::cat("invalid network mode ", util::quote(text), ": mtu ",
                                    util::quote(value), " is not between 68 and 65521"));
      mode.mtu = static_cast<unsigned>(mtu);
      continue;
    } else if (key == "cidr") {
      SlirpNetwork::parse(value); // throws for a bad one
      mode.cidr = std::string(value);
      continue;
    }
    throw util::Error(util::cat("invalid network mode ", util::quote(text),
                                ": unknown slirp4netns option ", util::quote(option),
                                " (supported: allow_host_loopback=true|false, "
                                "outbound_relay=true|false, port_handover=true|false, host_sockets=true|false, "
                                "mtu=N, cidr=A.B.C.D/N, "
                                "enable_ipv6=true|false)"));
  }
}

// "OPT,OPT" after "pasta:": pasta's own options, except --map-gw (podman's spelling of "the
// host's loopback is reachable") and the ones cove manages.
void parse_pasta_options(std::string_view text, std::string_view options, NetworkMode& mode) {
  for (const std::string& option : util::split(options, ',')) {
    std::string_view name = std::string_view(option).substr(0, option.find('='));
    if (option == "--map-gw") {
      mode.allow_host_loopback = true;
      continue;
    }
    for (std::string_view managed : pasta_managed)
      if (name == managed)
        throw util::Error(util::cat("invalid network mode ", util::quote(text), ": pasta option ",
                                    util::quote(option), " is set by cove",
                                    name == "-t" || name == "-u" || name == "--tcp-ports" ||
                                            name == "--udp-ports"
                                        ? " (publish ports with -p)"
                                        : ""));
    if (option.empty())
      throw util::Error(util::cat("invalid network mode ", util::quote(text),
                                  ": empty pasta option"));
    mode.pasta_args.push_back(option);
  }
}

// "NAME[:alias=A,alias=B]": one user-defined network (podman's form); whether it exists is
// checked when the container is created.
UserNetwork parse_user_network(std::string_view whole, std::string_view text) {
  size_t colon = text.find(':');
  UserNetwork network;
  network.name = std::string(text.substr(0, colon));
  if (colon == std::string_view::npos)
    return network;
  for (const std::string& option : util::split(text.substr(colon + 1), ',')) {
    if (option.rfind("alias=", 0) != 0 || option.size() == 6)
      throw util::Error(util::cat("invalid network mode ", util::quote(whole), ": unknown option ",
                                  util::quote(option), " (supported: alias=NAME)"));
    network.aliases.push_back(option.substr(6));
  }
  return network;
}

bool looks_like_network_name(std::string_view text) {
  std::string_view name = text.substr(0, text.find(':'));
  if (name == "bridge" || name == "private" || name == "default")
    return false; // Docker's and podman's default network, which cove does not have
  return !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
             std::string_view::npos;
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
  } else if (text == "pasta" || text.rfind("pasta:", 0) == 0) {
    mode.driver = NetworkDriver::pasta;
    if (text.size() > 6)
      parse_pasta_options(text, text.substr(6), mode);
  } else if (text.rfind("container:", 0) == 0) {
    mode.driver = NetworkDriver::container;
    mode.container = std::string(text.substr(10));
    if (mode.container.empty() || mode.container.find_first_of(":/ ") != std::string::npos)
      throw util::Error(util::cat("invalid network mode ", util::quote(text),
                                  ": use container:NAME or container:ID"));
  } else if (looks_like_network_name(text.substr(0, text.find('+')))) {
    mode.driver = NetworkDriver::bridge;
    for (const std::string& part : util::split(text, '+')) {
      std::string_view name = std::string_view(part).substr(0, part.find(':'));
      if (!looks_like_network_name(part) || name == "none" || name == "host" ||
          name == "slirp4netns" || name == "pasta" || name == "container")
        throw util::Error(util::cat("invalid network mode ", util::quote(text), ": ",
                                    util::quote(part), " is not a network name (only user-defined "
                                    "networks can be combined)"));
      UserNetwork network = parse_user_network(text, part);
      if (mode.find_network(network.name))
        throw util::Error(util::cat("invalid network mode ", util::quote(text), ": network ",
                                    network.name, " is given twice"));
      mode.networks.push_back(std::move(network));
    }
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
  {
    std::vector<std::string> options;
    if (allow_host_loopback)
      options.emplace_back("allow_host_loopback=true");
    if (!outbound_relay)
      options.emplace_back("outbound_relay=false");
    if (!port_handover)
      options.emplace_back("port_handover=false");
    if (host_sockets)
      options.emplace_back("host_sockets=true");
    if (mtu != 0)
      options.push_back(util::cat("mtu=", mtu));
    if (!cidr.empty())
      options.push_back("cidr=" + cidr);
    if (enable_ipv6)
      options.emplace_back("enable_ipv6=true");
    return options.empty() ? "slirp4netns" : "slirp4netns:" + util::join(options, ",");
  }
  case NetworkDriver::pasta: {
    std::vector<std::string> options;
    if (allow_host_loopback)
      options.emplace_back("--map-gw");
    options.insert(options.end(), pasta_args.begin(), pasta_args.end());
    return options.empty() ? "pasta" : "pasta:" + util::join(options, ",");
  }
  case NetworkDriver::container:
    return "container:" + container;
  case NetworkDriver::bridge: {
    std::vector<std::string> parts;
    for (const UserNetwork& network : networks) {
      std::vector<std::string> options;
      for (const std::string& alias : network.aliases)
        options.push_back("alias=" + alias);
      parts.push_back(options.empty() ? network.name
                                      : network.name + ":" + util::join(options, ","));
    }
    return util::join(parts, "+");
  }
  }
  return "none";
}

const UserNetwork* NetworkMode::find_network(std::string_view name) const {
  for (const UserNetwork& network : networks)
    if (network.name == name)
      return &network;
  return nullptr;
}

NetworkKind NetworkMode::etc_kind() const {
  switch (driver) {
  case NetworkDriver::none:
    return NetworkKind::none;
  case NetworkDriver::host:
    return NetworkKind::host;
  case NetworkDriver::slirp4netns:
    return NetworkKind::private_net;
  case NetworkDriver::pasta:
    // pasta copies the host's addresses, so the slirp4netns ones do not apply; the name server
    // is pasta's DNS forwarder, set by NetworkOptions::etc_files.
    return NetworkKind::none;
  case NetworkDriver::container:
    return NetworkKind::none; // the other container's files are used instead
  case NetworkDriver::bridge:
    // The container's address is on its bridge: its name resolves through the peers section
    // the network adds to /etc/hosts, and the host's non-loopback name servers are reachable
    // through the shared namespace's slirp4netns.
    return NetworkKind::none;
  }
  return NetworkKind::none;
}

NetworkMode default_network_mode() {
  NetworkMode mode;
  if (util::find_program("slirp4netns")) {
    mode.driver = NetworkDriver::slirp4netns;
  } else if (util::find_program("pasta")) {
    mode.driver = NetworkDriver::pasta;
  } else {
    // Failing every run because an optional package is missing would be worse than running
    // with the host's network, which is what cove did before it had private networks.
    util::log::warning("neither slirp4netns nor pasta is installed: the container uses the "
                       "host's network (install slirp4netns or passt for an isolated network)");
    mode.driver = NetworkDriver::host;
  }
  LOG_DEBUG("default network: ", mode.str());
  return mode;
}

} // namespace net
