#include "util/open_file_limit.hpp"

#include <sys/resource.h>

namespace util {

void raise_open_file_limit() noexcept {
  constexpr rlim_t ceiling = 1048576;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) < 0)
    return;
  rlim_t wanted = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > ceiling ? ceiling
                                                                              : limit.rlim_max;
  if (limit.rlim_cur >= wanted)
    return;
  limit.rlim_cur = wanted;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

} // namespace util
