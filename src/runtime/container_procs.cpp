#include "runtime/container_procs.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string>

namespace runtime {

namespace {

// The identity of a process's pid namespace (device and inode of /proc/<pid>/ns/pid).
std::optional<std::pair<dev_t, ino_t>> pid_namespace(const std::string& pid) {
  struct stat st{};
  if (::stat(util::cat("/proc/", pid, "/ns/pid").c_str(), &st) < 0)
    return std::nullopt; // gone meanwhile, or not ours to look at
  return std::pair{st.st_dev, st.st_ino};
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

} // namespace

std::vector<pid_t> container_pids(const ProcessId& init) {
  std::optional<std::pair<dev_t, ino_t>> target = pid_namespace(std::to_string(init.pid));
  if (!target || !is_alive(init))
    throw util::Error(util::cat("read the pid namespace of process ", init.pid,
                                ": the container is not running"));
  std::vector<pid_t> pids{init.pid};
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (!all_digits(name) || name == std::to_string(init.pid))
      continue;
    if (pid_namespace(name) == target)
      pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  if (ec)
    throw util::SystemError(ec.value(), "list /proc");
  std::sort(pids.begin() + 1, pids.end());
  return pids;
}

} // namespace runtime
