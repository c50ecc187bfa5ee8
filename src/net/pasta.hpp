// Pasta: the pasta(1) helper (package passt) connecting a container's private network namespace
// to the host's network, with published ports forwarded by pasta itself; owns the process.
#pragma once

#include "net/port_mapping.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace net {

class Pasta {
public:
  struct Options {
    bool map_host_loopback = false;      // the gateway address reaches the host's loopback
    std::vector<std::string> extra_args; // from --network pasta:OPT,OPT
    std::vector<PortMapping> ports;      // host_port 0 = any free port
    std::filesystem::path log_file;      // pasta's stderr; empty = kept in memory
  };

  // Checks the published ports (in use, privileged), starts pasta for the network namespace of
  // `pid` and waits until it has configured the namespace and bound the ports. pasta gets
  // SIGKILL when the thread that started it dies, so a killed cove leaves no helper behind.
  // Throws util::Error naming the port, the missing package or pasta's own message.
  static Pasta start(pid_t pid, const Options& options);

  Pasta(Pasta&& other) noexcept;
  Pasta& operator=(Pasta&&) = delete;
  Pasta(const Pasta&) = delete;
  Pasta& operator=(const Pasta&) = delete;
  // Stops pasta (SIGTERM) and reaps it.
  ~Pasta();

  pid_t pid() const noexcept { return m_pid; }
  // The ports as published, with the host ports that were chosen.
  const std::vector<PortMapping>& ports() const noexcept { return m_ports; }

private:
  Pasta(pid_t pid, std::vector<PortMapping> ports) : m_pid(pid), m_ports(std::move(ports)) {}
  pid_t m_pid = -1;
  std::vector<PortMapping> m_ports;
};

} // namespace net
