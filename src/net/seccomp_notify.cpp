#include "net/seccomp_notify.hpp"

#include "util/fixed_text.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

// "/proc/<pid>/<name>" or "/proc/<pid>/<name>/<fd>" into buf. No stdio here: this runs in a
// thread of the resident monitor, and every library page it touches stays resident with it.
const char* proc_path(char (&buf)[64], pid_t pid, const char* name, int fd = -1) noexcept {
  size_t length = util::append_text(buf, 0, sizeof buf, "/proc/");
  length = util::append_decimal(buf, length, sizeof buf, static_cast<unsigned long>(pid));
  length = util::append_text(buf, length, sizeof buf, "/");
  length = util::append_text(buf, length, sizeof buf, name);
  if (fd >= 0) {
    length = util::append_text(buf, length, sizeof buf, "/");
    util::append_decimal(buf, length, sizeof buf, static_cast<unsigned long>(fd));
  }
  return buf;
}

// The number after "<key>" at the start of a line of the small file `path`, in `base`; -1 when
// there is none.
long read_field(const char* path, const char* key, int base) noexcept {
  char text[2048];
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0)
    return -1;
  text[n] = '\0';
  size_t key_length = std::strlen(key);
  for (const char* line = text; line != nullptr && *line != '\0';) {
    if (std::strncmp(line, key, key_length) == 0) {
      const char* p = line + key_length;
      while (*p == ' ' || *p == '\t')
        ++p;
      long value = 0;
      bool any = false;
      for (;; ++p, any = true) {
        int digit = *p >= '0' && *p <= '9'   ? *p - '0'
                    : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                                             : 99;
        if (digit >= base)
          break;
        value = value * base + digit;
      }
      return any ? value : -1;
    }
    line = std::strchr(line, '\n');
    if (line != nullptr)
      ++line;
  }
  return -1;
}

// pidfd_open(2) wants a thread group leader (EINVAL, or ENOENT since Linux 6.9, for another
// thread); a caught call may come from any thread, whose descriptor table is its process's.
util::UniqueFd open_pidfd(pid_t pid) noexcept {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0 || (errno != EINVAL && errno != ENOENT))
    return util::UniqueFd(static_cast<int>(fd));
  char path[64];
  long leader = read_field(proc_path(path, pid, "status"), "Tgid:", 10);
  if (leader <= 0)
    return {};
  return util::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(leader), 0)));
}

} // namespace

NotifyListener::NotifyListener(util::UniqueFd fd) noexcept : m_fd(std::move(fd)) {
  seccomp_notif_sizes sizes = kernel_sizes();
  m_request.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  m_response.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  // Linux >= 6.6: the caller hands its CPU to this thread and back instead of waking it on
  // another one, a round trip of a few microseconds instead of tens. Best effort.
  constexpr unsigned long set_flags = SECCOMP_IOW(4, uint64_t); // SECCOMP_IOCTL_NOTIF_SET_FLAGS
  constexpr uint64_t sync_wake_up = 1;                           // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
  if (m_fd)
    ::ioctl(m_fd.get(), set_flags, sync_wake_up);
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
  out.arch = request->data.arch;
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

bool write_process_memory(pid_t pid, uint64_t address, const void* buffer, size_t length) noexcept {
  iovec local{const_cast<void*>(buffer), length};
  iovec remote{reinterpret_cast<void*>(static_cast<uintptr_t>(address)), length};
  return ::process_vm_writev(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(length);
}

int write_address_result(pid_t pid, uint64_t address, uint64_t length_at, const void* data,
                         socklen_t length) noexcept {
  socklen_t room = 0;
  if (!read_process_memory(pid, length_at, &room, sizeof room))
    return EFAULT;
  if (static_cast<int>(room) < 0)
    return EINVAL;
  size_t copied = room < length ? room : length;
  if (!write_process_memory(pid, address, data, copied) ||
      !write_process_memory(pid, length_at, &length, sizeof length))
    return EFAULT;
  return 0;
}

util::UniqueFd take_process_fd(pid_t pid, int fd) noexcept {
  util::UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd)
    return {};
  return util::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
}

bool process_has_capability(pid_t pid, int capability) noexcept {
  char path[64];
  long effective = read_field(proc_path(path, pid, "status"), "CapEff:", 16);
  return effective > 0 && (effective >> capability) & 1;
}

bool process_fd_cloexec(pid_t pid, int fd) noexcept {
  char path[64];
  long flags = read_field(proc_path(path, pid, "fdinfo", fd), "flags:", 8);
  return flags > 0 && (flags & O_CLOEXEC) != 0;
}

} // namespace net
