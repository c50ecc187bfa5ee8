#include "net/seccomp_notify.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace net {

namespace {

seccomp_notif_sizes kernel_sizes() noexcept {
  seccomp_notif_sizes sizes{};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
    sizes.seccomp_notif = sizeof(seccomp_notif);
    sizes.seccomp_notif_resp = sizeof(seccomp_notif_resp);
  }
  return sizes;
}

// pidfd_open(2) wants a thread group leader (before Linux 6.9's PIDFD_THREAD); a caught call
// may come from any thread, whose descriptor table is its process's.
util::UniqueFd open_pidfd(pid_t pid) noexcept {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0 || errno != EINVAL)
    return util::UniqueFd(static_cast<int>(fd));
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  FILE* status = std::fopen(path, "re");
  if (status == nullptr)
    return {};
  char line[256];
  pid_t leader = 0;
  while (std::fgets(line, sizeof line, status) != nullptr)
    if (std::strncmp(line, "Tgid:", 5) == 0)
      leader = static_cast<pid_t>(std::strtol(line + 5, nullptr, 10));
  std::fclose(status);
  if (leader <= 0)
    return {};
  return util::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, leader, 0)));
}

} // namespace

NotifyListener::NotifyListener(util::UniqueFd fd) noexcept : m_fd(std::move(fd)) {
  seccomp_notif_sizes sizes = kernel_sizes();
  m_request.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  m_response.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
}

bool NotifyListener::receive(Notification& out) noexcept {
  std::fill(m_request.begin(), m_request.end(), 0);
  auto* request = reinterpret_cast<seccomp_notif*>(m_request.data());
  while (::ioctl(m_fd.get(), SECCOMP_IOCTL_NOTIF_RECV, request) < 0)
    if (errno != EINTR)
      return false; // ENOENT: the caller went away
  out.id = request->id;
  out.pid = static_cast<pid_t>(request->pid);
  out.nr = request->data.nr;
  std::copy(std::begin(request->data.args), std::end(request->data.args), out.args);
  return true;
}

bool NotifyListener::valid(uint64_t id) const noexcept {
  return ::ioctl(m_fd.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int NotifyListener::replace_fd(uint64_t id, int source, int target_fd, bool cloexec) const noexcept {
  seccomp_notif_addfd add{};
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SETFD;
  add.srcfd = static_cast<uint32_t>(source);
  add.newfd = static_cast<uint32_t>(target_fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  return ::ioctl(m_fd.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 ? errno : 0;
}

void NotifyListener::allow(uint64_t id) const noexcept {
  auto* response = reinterpret_cast<seccomp_notif_resp*>(m_response.data());
  std::memset(response, 0, m_response.size());
  response->id = id;
  response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  // ENOENT: the caller was killed meanwhile; nobody waits for the answer.
  ::ioctl(m_fd.get(), SECCOMP_IOCTL_NOTIF_SEND, response);
}

void NotifyListener::answer(uint64_t id, int64_t value, int error) const noexcept {
  auto* response = reinterpret_cast<seccomp_notif_resp*>(m_response.data());
  std::memset(response, 0, m_response.size());
  response->id = id;
  response->val = error == 0 ? value : 0;
  response->error = error == 0 ? 0 : -error;
  ::ioctl(m_fd.get(), SECCOMP_IOCTL_NOTIF_SEND, response);
}

bool read_process_memory(pid_t pid, uint64_t address, void* buffer, size_t length) noexcept {
  iovec local{buffer, length};
  iovec remote{reinterpret_cast<void*>(static_cast<uintptr_t>(address)), length};
  return ::process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(length);
}

util::UniqueFd take_process_fd(pid_t pid, int fd) noexcept {
  util::UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd)
    return {};
  return util::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
}

bool process_fd_cloexec(pid_t pid, int fd) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", static_cast<int>(pid), fd);
  FILE* info = std::fopen(path, "re");
  if (info == nullptr)
    return false;
  char line[128];
  unsigned long flags = 0;
  while (std::fgets(line, sizeof line, info) != nullptr)
    if (std::strncmp(line, "flags:", 6) == 0)
      flags = std::strtoul(line + 6, nullptr, 8);
  std::fclose(info);
  return (flags & O_CLOEXEC) != 0;
}

} // namespace net
