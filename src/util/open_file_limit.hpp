// The open-file limit of cove's processes. Each connection cove relays (a published port, an
// outbound connection through the relay) holds two sockets and two pipes in the process that
// relays it, so the usual soft limit of 1024 would cap it at about 170 connections. Like Go
// programs (podman's port forwarder among them), cove raises its soft limit to the hard one;
// containers inherit it, as podman gives rootless containers the hard limit.
#pragma once

namespace util {

// Raises RLIMIT_NOFILE's soft limit to the hard limit (at most 1048576, podman's default).
// Best effort: nothing changes if the system refuses.
void raise_open_file_limit() noexcept;

} // namespace util
