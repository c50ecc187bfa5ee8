// Resident memory of long-lived helper processes (a detached container's monitor).
#pragma once

#include <string_view>
#include <vector>

namespace util {

// One mapping of /proc/self/smaps, as far as file_pages_to_release needs it.
struct Mapping {
  unsigned long start = 0, end = 0;
  std::string_view perms; // "r-xp"
  std::string_view path;  // "" for anonymous memory, "[heap]" and the like
  unsigned long anonymous_kb = 0;
};

// The mappings of `smaps` (the text of /proc/PID/smaps), in order.
std::vector<Mapping> parse_smaps(std::string_view smaps);

// True for a mapping whose resident pages are nothing but page-cache pages of a file, never
// written by this process: a read-only file mapping without anonymous (copy-on-write) pages.
// Dropping such pages from the page tables loses nothing: they fault back in from the page
// cache when touched. (A RELRO segment is read-only but holds relocated, anonymous pages: it
// never qualifies.)
bool only_file_pages(const Mapping& mapping);

// Drops this process's page-table entries for every only_file_pages() mapping (its executable's
// and libraries' code and read-only data), with madvise(MADV_DONTNEED). A process that goes on
// to idle in a small loop for a long time (a monitor forked from cove after setting up a
// container) then keeps resident only what it touches from now on, not all the code the set-up
// ran. Best effort; never throws.
void release_file_pages() noexcept;

} // namespace util
