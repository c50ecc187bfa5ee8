#include "net/netlink.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace net {

namespace {

// Builds one netlink message: header, fixed-size body, attributes (nestable).
class Message {
public:
  Message(uint16_t type, uint16_t flags) {
    nlmsghdr header{};
    header.nlmsg_type = type;
    header.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
    append(&header, sizeof header);
  }
  template <typename T> void body(const T& value) { append(&value, sizeof value); }
  void attr(uint16_t type, const void* data, size_t size) {
    rtattr header{};
    header.rta_type = type;
    header.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    append(&header, sizeof header);
    append(data, size);
  }
  void attr(uint16_t type, std::string_view text) {
    std::string copy(text); // NUL-terminated, as the kernel expects for names
    attr(type, copy.c_str(), copy.size() + 1);
  }
  template <typename T> void attr_value(uint16_t type, T value) { attr(type, &value, sizeof value); }
  size_t begin_nested(uint16_t type) {
    size_t offset = m_data.size();
    attr(type, nullptr, 0);
    return offset;
  }
  void end_nested(size_t offset) {
    auto* header = reinterpret_cast<rtattr*>(m_data.data() + offset);
    header->rta_len = static_cast<unsigned short>(m_data.size() - offset);
  }
  std::string& finish(unsigned seq) {
    auto* header = reinterpret_cast<nlmsghdr*>(m_data.data());
    header->nlmsg_len = static_cast<uint32_t>(m_data.size());
    header->nlmsg_seq = seq;
    return m_data;
  }

private:
  void append(const void* data, size_t size) {
    if (size > 0)
      m_data.append(static_cast<const char*>(data), size);
    m_data.resize(NLMSG_ALIGN(m_data.size()), '\0');
  }
  std::string m_data;
};

// NLMSG_DATA without its C cast.
template <typename T> T* payload(nlmsghdr* header) {
  return reinterpret_cast<T*>(reinterpret_cast<char*>(header) + NLMSG_HDRLEN);
}

util::UniqueFd route_socket() {
  util::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd)
    util::throw_errno("netlink: create a NETLINK_ROUTE socket");
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  util::check(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              "netlink: bind the socket");
  return fd;
}

Message link_message(uint16_t type, uint16_t flags, int index) {
  Message message(type, flags);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  message.body(info);
  return message;
}

} // namespace

NetlinkSocket NetlinkSocket::open() {
  return NetlinkSocket(route_socket());
}

NetlinkSocket NetlinkSocket::open_in(int netns_fd) {
  util::UniqueFd fd;
  int err = 0;
  std::string stage;
  std::thread worker([&]() noexcept {
    if (::setns(netns_fd, CLONE_NEWNET) < 0) {
      err = errno;
      stage = "join the network namespace";
      return;
    }
    fd.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd) {
      err = errno;
      stage = "create a NETLINK_ROUTE socket";
    }
  });
  worker.join();
  if (err != 0)
    throw util::SystemError(err, util::cat("netlink: ", stage));
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  util::check(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              "netlink: bind the socket");
  return NetlinkSocket(std::move(fd));
}

int NetlinkSocket::transact(std::string& message) {
  unsigned seq = ++m_seq;
  std::string& data = message;
  reinterpret_cast<nlmsghdr*>(data.data())->nlmsg_seq = seq;
  reinterpret_cast<nlmsghdr*>(data.data())->nlmsg_len = static_cast<uint32_t>(data.size());
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  util::check(::sendto(m_fd.get(), data.data(), data.size(), 0,
                       reinterpret_cast<sockaddr*>(&kernel), sizeof kernel),
              "netlink: send a request");
  alignas(nlmsghdr) char buffer[16384];
  for (;;) {
    ssize_t n = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR)
      continue;
    util::check(n, "netlink: read the reply");
    auto len = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq)
        continue;
      if (h->nlmsg_type == NLMSG_ERROR)
        return -payload<nlmsgerr>(h)->error;
      if (h->nlmsg_type == NLMSG_DONE)
        return 0;
    }
  }
}

void NetlinkSocket::request(std::string& message, std::string_view what, int allowed) {
  int err = transact(message);
  if (err != 0 && err != allowed)
    throw util::SystemError(err, util::cat("netlink: ", what));
}

std::optional<int> NetlinkSocket::link_index(std::string_view name) {
  // RTM_GETLINK answers with the link (then the ack); only the index is wanted.
  Message message = link_message(RTM_GETLINK, 0, 0);
  message.attr(IFLA_IFNAME, name);
  std::string& data = message.finish(++m_seq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  util::check(::sendto(m_fd.get(), data.data(), data.size(), 0,
                       reinterpret_cast<sockaddr*>(&kernel), sizeof kernel),
              "netlink: send a request");
  alignas(nlmsghdr) char buffer[16384];
  std::optional<int> index;
  for (;;) {
    ssize_t n = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR)
      continue;
    util::check(n, "netlink: read the reply");
    auto len = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != m_seq)
        continue;
      if (h->nlmsg_type == RTM_NEWLINK) {
        index = payload<ifinfomsg>(h)->ifi_index;
        continue;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -payload<nlmsgerr>(h)->error;
        if (err == 0 || err == ENODEV)
          return index;
        throw util::SystemError(err, util::cat("netlink: look up interface ", name));
      }
    }
  }
}

void NetlinkSocket::add_bridge(std::string_view name, unsigned mtu) {
  Message message = link_message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
  message.attr(IFLA_IFNAME, name);
  message.attr_value<uint32_t>(IFLA_MTU, mtu);
  size_t info = message.begin_nested(IFLA_LINKINFO);
  message.attr(IFLA_INFO_KIND, "bridge");
  message.end_nested(info);
  request(message.finish(0), util::cat("create bridge ", name));
}

void NetlinkSocket::add_veth(std::string_view name, std::string_view peer, int peer_netns_fd,
                             unsigned mtu, const std::array<unsigned char, 6>& peer_mac) {
  Message message = link_message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
  message.attr(IFLA_IFNAME, name);
  message.attr_value<uint32_t>(IFLA_MTU, mtu);
  size_t info = message.begin_nested(IFLA_LINKINFO);
  message.attr(IFLA_INFO_KIND, "veth");
  size_t data = message.begin_nested(IFLA_INFO_DATA);
  size_t peer_info = message.begin_nested(VETH_INFO_PEER);
  ifinfomsg peer_msg{};
  peer_msg.ifi_family = AF_UNSPEC;
  message.body(peer_msg);
  message.attr(IFLA_IFNAME, peer);
  message.attr_value<uint32_t>(IFLA_MTU, mtu);
  message.attr_value<uint32_t>(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  message.attr(IFLA_ADDRESS, peer_mac.data(), peer_mac.size());
  message.end_nested(peer_info);
  message.end_nested(data);
  message.end_nested(info);
  request(message.finish(0), util::cat("create veth pair ", name, " / ", peer));
}

void NetlinkSocket::set_master(int index, int master) {
  Message message = link_message(RTM_NEWLINK, 0, index);
  message.attr_value<uint32_t>(IFLA_MASTER, static_cast<uint32_t>(master));
  request(message.finish(0), util::cat("attach interface ", index, " to bridge ", master));
}

void NetlinkSocket::set_up(int index) {
  Message message(RTM_NEWLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  message.body(info);
  request(message.finish(0), util::cat("bring interface ", index, " up"));
}

void NetlinkSocket::delete_link(int index) {
  Message message = link_message(RTM_DELLINK, 0, index);
  request(message.finish(0), util::cat("delete interface ", index), ENODEV);
}

void NetlinkSocket::add_address(int index, Ipv4 address, unsigned prefix) {
  Message message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg addr{};
  addr.ifa_family = AF_INET;
  addr.ifa_prefixlen = static_cast<unsigned char>(prefix);
  addr.ifa_index = static_cast<unsigned>(index);
  message.body(addr);
  uint32_t raw = htonl(address.value);
  message.attr(IFA_LOCAL, &raw, sizeof raw);
  message.attr(IFA_ADDRESS, &raw, sizeof raw);
  request(message.finish(0), util::cat("add address ", address.str(), "/", prefix), EEXIST);
}

void NetlinkSocket::add_default_route(Ipv4 gateway) {
  Message message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg route{};
  route.rtm_family = AF_INET;
  route.rtm_table = RT_TABLE_MAIN;
  route.rtm_protocol = RTPROT_BOOT;
  route.rtm_scope = RT_SCOPE_UNIVERSE;
  route.rtm_type = RTN_UNICAST;
  message.body(route);
  uint32_t raw = htonl(gateway.value);
  message.attr(RTA_GATEWAY, &raw, sizeof raw);
  request(message.finish(0), util::cat("add the default route via ", gateway.str()), EEXIST);
}

void NetlinkSocket::add_rule(std::string_view iif, const Subnet* to, unsigned char action,
                             unsigned priority) {
  Message message(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
  fib_rule_hdr rule{};
  rule.family = AF_INET;
  rule.dst_len = static_cast<unsigned char>(to != nullptr ? to->prefix : 0);
  rule.action = action;
  rule.table = action == FR_ACT_TO_TBL ? RT_TABLE_MAIN : RT_TABLE_UNSPEC;
  message.body(rule);
  if (to != nullptr) {
    uint32_t raw = htonl(to->network.value);
    message.attr(FRA_DST, &raw, sizeof raw);
  }
  message.attr(FRA_IIFNAME, iif);
  message.attr_value<uint32_t>(FRA_PRIORITY, priority);
  request(message.finish(0),
          util::cat("add rule iif ", iif, " to ", to != nullptr ? to->str() : "all", " ",
                    action == FR_ACT_TO_TBL ? "lookup main" : "unreachable"),
          EEXIST);
}

void NetlinkSocket::add_unreachable_rule(std::string_view iif, const Subnet& to) {
  add_rule(iif, &to, FR_ACT_UNREACHABLE, 100);
}

void NetlinkSocket::add_internal_rules(std::string_view iif, const Subnet& subnet) {
  add_rule(iif, &subnet, FR_ACT_TO_TBL, 99);
  add_rule(iif, nullptr, FR_ACT_UNREACHABLE, 101);
}

} // namespace net
