// A container's published ports as recorded for `port`, `ps` and `inspect`: one
// "0.0.0.0:8080->80/tcp" line each, in userdata/ports.
#pragma once

#include "net/port_mapping.hpp"
#include "util/fs.hpp"

#include <filesystem>
#include <vector>

namespace net {

// Writes `ports` to `path` atomically, with the durability the caller's record needs; an empty
// path writes nothing.
void write_ports_file(const std::filesystem::path& path, const std::vector<PortMapping>& ports,
                      util::Durability durability);

} // namespace net
