// Text built in a fixed buffer without allocating or locale: for the container's child between
// clone and exec, and for threads that must not touch stdio (async-signal-safe, never throw).
#pragma once

#include <cstddef>

namespace util {

// Appends `text` to the NUL-terminated `buffer[0..length)` of `size` bytes, truncating to fit;
// returns the new length.
size_t append_text(char* buffer, size_t length, size_t size, const char* text) noexcept;

// The same for `value` in decimal.
size_t append_decimal(char* buffer, size_t length, size_t size, unsigned long value) noexcept;

} // namespace util
