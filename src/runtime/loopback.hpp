// Bringing up "lo" in the calling thread's network namespace (a new namespace has it down).
#pragma once

namespace runtime {

// Sets IFF_UP on "lo". Returns 0 or the errno of the failing call; never throws, never
// allocates, so the post-clone child may call it.
int bring_loopback_up() noexcept;

} // namespace runtime
