// Opening another process's namespaces (/proc/PID/ns/KIND), for setns and netlink sockets there.
#pragma once

#include "util/fd.hpp"

#include <sys/types.h>

#include <string_view>

namespace net {

// /proc/PID/ns/KIND ("net", "user", ...), opened O_RDONLY. Throws util::Error naming the path.
util::UniqueFd open_namespace(pid_t pid, std::string_view kind);

} // namespace net
