#include "util/resident.hpp"

#include "util/fs.hpp"

#include <sys/mman.h>

#include <charconv>
#include <string>

namespace util {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// "55f5cdeb0000-55f5cdecc000 r--p 00000000 fe:00 10952727   /tmp/x": a mapping's header line.
bool parse_header(std::string_view line, Mapping& out) {
  size_t dash = line.find('-');
  if (dash == 0 || dash == std::string_view::npos || !is_hex(line[0]))
    return false;
  size_t space = line.find(' ', dash);
  if (space == std::string_view::npos)
    return false;
  if (std::from_chars(line.data(), line.data() + dash, out.start, 16).ec != std::errc() ||
      std::from_chars(line.data() + dash + 1, line.data() + space, out.end, 16).ec != std::errc())
    return false;
  // perms, offset, dev, inode, then the path (which may contain spaces).
  std::string_view rest = line.substr(space + 1);
  std::string_view fields[4];
  for (std::string_view& field : fields) {
    size_t end = rest.find(' ');
    field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  out.perms = fields[0];
  size_t path = rest.find_first_not_of(' ');
  out.path = path == std::string_view::npos ? std::string_view() : rest.substr(path);
  out.anonymous_kb = 0;
  return out.perms.size() == 4;
}

} // namespace

std::vector<Mapping> parse_smaps(std::string_view smaps) {
  std::vector<Mapping> mappings;
  while (!smaps.empty()) {
    size_t newline = smaps.find('\n');
    std::string_view line = smaps.substr(0, newline);
    smaps = newline == std::string_view::npos ? std::string_view() : smaps.substr(newline + 1);
    Mapping mapping;
    if (parse_header(line, mapping)) {
      mappings.push_back(mapping);
      continue;
    }
    constexpr std::string_view anonymous = "Anonymous:";
    if (!mappings.empty() && line.substr(0, anonymous.size()) == anonymous) {
      std::string_view value = line.substr(anonymous.size());
      value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
      std::from_chars(value.data(), value.data() + value.size(), mappings.back().anonymous_kb);
    }
  }
  return mappings;
}

bool only_file_pages(const Mapping& mapping) {
  return !mapping.path.empty() && mapping.path.front() == '/' && mapping.perms.size() == 4 &&
         mapping.perms[1] != 'w' && mapping.perms[3] == 'p' && mapping.anonymous_kb == 0 &&
         mapping.end > mapping.start;
}

void release_file_pages() noexcept {
  try {
    std::string smaps = read_file("/proc/self/smaps");
    for (const Mapping& mapping : parse_smaps(smaps))
      if (only_file_pages(mapping))
        ::madvise(reinterpret_cast<void*>(mapping.start), mapping.end - mapping.start,
                  MADV_DONTNEED);
  } catch (...) {
    // Only a memory saving: nothing to report.
  }
}

} // namespace util
