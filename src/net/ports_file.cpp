#include "net/ports_file.hpp"

#include "util/fs.hpp"

#include <string>

namespace net {

void write_ports_file(const std::filesystem::path& path, const std::vector<PortMapping>& ports) {
  if (path.empty())
    return;
  std::string text;
  for (const PortMapping& port : ports)
    text += describe(port) + "\n";
  util::write_file_atomic(path, text, 0644, util::Durability::process_safe);
}

} // namespace net
