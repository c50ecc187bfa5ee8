// A small rtnetlink client over a raw NETLINK_ROUTE socket: just what user-defined networks need
// (bridges, veth pairs, addresses, routes, unreachable rules), so cove needs no `ip` binary.
#pragma once

#include "net/ipam.hpp"
#include "util/fd.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace net {

class NetlinkSocket {
public:
  // A socket in the caller's network namespace. Throws util::SystemError.
  static NetlinkSocket open();
  // A socket in the network namespace `netns_fd` (an open /proc/PID/ns/net). A short-lived
  // thread joins that namespace to create it (setns(2) on a network namespace changes only the
  // calling thread), so the caller's own namespace is untouched.
  static NetlinkSocket open_in(int netns_fd);

  // The interface index of `name`, or nullopt when there is none.
  std::optional<int> link_index(std::string_view name);
  // Creates a bridge named `name` (down).
  void add_bridge(std::string_view name, unsigned mtu);
  // Creates a veth pair: `name` here, `peer` (with the MAC address `peer_mac`) created directly
  // in the namespace `peer_netns_fd`.
  void add_veth(std::string_view name, std::string_view peer, int peer_netns_fd, unsigned mtu,
                const std::array<unsigned char, 6>& peer_mac);
  // Enslaves `index` to the bridge `master`.
  void set_master(int index, int master);
  // Brings `index` up.
  void set_up(int index);
  // Deletes the interface `index` (a veth: both ends).
  void delete_link(int index);
  // Adds address/prefix to `index` (EEXIST is not an error).
  void add_address(int index, Ipv4 address, unsigned prefix);
  // Adds the default route via `gateway`.
  void add_default_route(Ipv4 gateway);
  // Adds the policy rule "packets arriving on `iif` for `to` are unreachable" (EEXIST is fine).
  void add_unreachable_rule(std::string_view iif, const Subnet& to);
  // An internal network: packets arriving on `iif` are routed only within `subnet` (a lookup
  // rule for the subnet before a catch-all unreachable rule).
  void add_internal_rules(std::string_view iif, const Subnet& subnet);

private:
  explicit NetlinkSocket(util::UniqueFd fd) : m_fd(std::move(fd)) {}
  // Sends one request and waits for its acknowledgement; returns the error number (0 = ok).
  int transact(std::string& message);
  // transact() that throws util::SystemError "netlink: WHAT" on an error other than `allowed`.
  void request(std::string& message, std::string_view what, int allowed = 0);
  void add_rule(std::string_view iif, const Subnet* to, unsigned char action, unsigned priority);
  util::UniqueFd m_fd;
  unsigned m_seq = 0;
};

} // namespace net
