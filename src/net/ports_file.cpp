#include "net/ports_file.hpp"

#include <string>

namespace net {

void write_ports_file(const std::filesystem::path& path, const std::vector<PortMapping>& ports,
                      util::Durability durability) {
  if (path.empty())
    return;
  std::string text;
  for (const PortMapping& port : ports)
    text += describe(port) + "\n";
  util::write_file_atomic(path, text, 0644, durability);
}

} // namespace net
