// Error convention: exceptions for failure; what() carries context, outermost first.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace util {

// Any failure the user should see: "pull localhost:5000/busybox: fetch blob sha256:..: HTTP 404".
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A failed system call; keeps errno for callers that branch on it (EEXIST, ENOENT...).
class SystemError : public Error {
public:
  // what = "<operation and object>: <strerror(err)>"
  SystemError(int err, std::string_view what);
  // A message that is already complete (used when adding context to a SystemError).
  struct Formatted {};
  SystemError(int err, std::string message, Formatted) : Error(std::move(message)), m_errno(err) {}
  int code() const noexcept { return m_errno; }

private:
  int m_errno;
};

// Throws SystemError from the current errno.
[[noreturn]] void throw_errno(std::string_view what);

// Throws SystemError(err, what).
[[noreturn]] void throw_errno(int err, std::string_view what);

// Returns rc, or throws SystemError from errno when rc < 0.
inline long check(long rc, std::string_view what) {
  if (rc < 0)
    throw_errno(what);
  return rc;
}

// Rethrows the current exception as Error("<context>: <what>"), keeping errno for SystemError.
[[noreturn]] void rethrow_with_context(std::string_view context);

} // namespace util
