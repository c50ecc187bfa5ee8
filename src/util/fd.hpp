// UniqueFd: the one owner of a file descriptor. Borrowed fds are plain int parameters.
#pragma once

#include <unistd.h>

#include <utility>

namespace util {

class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  // The descriptor, still owned.
  int get() const noexcept { return m_fd; }
  // Gives up ownership.
  int release() noexcept { return std::exchange(m_fd, -1); }
  // Closes the current descriptor (if any) and owns fd.
  void reset(int fd = -1) noexcept {
    if (m_fd >= 0)
      ::close(m_fd);
    m_fd = fd;
  }
  explicit operator bool() const noexcept { return m_fd >= 0; }

private:
  int m_fd = -1;
};

} // namespace util
