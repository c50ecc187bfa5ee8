// Passing a descriptor over a unix socket (SCM_RIGHTS) with the message it belongs to.
#pragma once

#include "util/fd.hpp"

#include <sys/types.h>

#include <cstddef>

namespace util {

// Sends `length` bytes of `data` with a copy of `fd` attached, retrying on EINTR. True when the
// whole message went; errno is set otherwise. Async-signal-safe (the container's child uses it).
bool send_with_fd(int socket, const void* data, size_t length, int fd) noexcept;

// Receives one message of at most `length` bytes into `data`, and the descriptor it carried, if
// any, into `passed` (close-on-exec). recvmsg's result: bytes, 0 at the end, -1 with errno.
ssize_t receive_with_fd(int socket, void* data, size_t length, UniqueFd& passed) noexcept;

} // namespace util
