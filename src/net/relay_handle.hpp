// What an epoll event of the port forwarder's loop refers to (net/splice_proxy, net/udp_relay).
#pragma once

#include <cstddef>
#include <cstdint>

namespace net {

struct Connection;
struct UdpSession;

struct RelayHandle {
  enum class Kind { tcp_listener, udp_listener, connection, udp_session, stop, input };
  Kind kind = Kind::tcp_listener;
  size_t route = 0;                 // listeners: the index of their route; input: its descriptor
  Connection* connection = nullptr; // connection: which one, and which of its sockets
  bool server = false;
  UdpSession* session = nullptr;    // udp_session
  // input: called with `context` and the events when its descriptor is readable or hung up;
  // false stops watching it.
  bool (*on_input)(void*, uint32_t) = nullptr;
  void* context = nullptr;
  bool dead = false; // input: no longer watched, freed after the current batch of events
};

} // namespace net
