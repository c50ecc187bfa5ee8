// A container's published ports as recorded for `port`, `ps` and `inspect`: one
// "0.0.0.0:8080->80/tcp" line each, in userdata/ports.
#pragma once

#include "net/port_mapping.hpp"

#include <filesystem>
#include <vector>

namespace net {

// Writes `ports` to `path` atomically; an empty path writes nothing. The file describes running
// helpers, which a crash ends anyway: no fsync (it is on a container's start path).
void write_ports_file(const std::filesystem::path& path, const std::vector<PortMapping>& ports);

} // namespace net
