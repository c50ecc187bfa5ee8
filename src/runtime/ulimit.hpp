// --ulimit NAME=SOFT[:HARD]: a resource limit of the container's processes, as Docker and podman
// take it (names from setrlimit(2) without the RLIMIT_ prefix, -1 for unlimited).
#pragma once

#include <sys/resource.h>

#include <string>
#include <string_view>
#include <vector>

namespace runtime {

struct Ulimit {
  std::string name; // "nofile", "nproc", ...
  int resource = -1; // RLIMIT_*
  rlim_t soft = 0;   // RLIM_INFINITY for -1
  rlim_t hard = 0;

  // Parses "nofile=1024" (hard = soft) or "nofile=1024:2048". Throws util::Error naming the
  // text: an unknown name, a number that is none, a soft limit above the hard one.
  static Ulimit parse(std::string_view text);
  // The same for a known name and its numbers (a stored spec).
  static Ulimit of(std::string_view name, long long soft, long long hard);
  // "nofile=1024:2048"
  std::string str() const;
};

// The later of two limits on the same resource wins, as with Docker.
std::vector<Ulimit> parse_ulimits(const std::vector<std::string>& texts);

} // namespace runtime
