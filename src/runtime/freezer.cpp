#include "runtime/freezer.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace runtime {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A cgroup hierarchy's mount point and the cgroup this process is in, relative to it.
struct Hierarchy {
  fs::path mount;
  std::string own; // e.g. "/user.slice/user-1000.slice/user@1000.service/app.slice"
};

// The mount of the hierarchy from /proc/self/mountinfo: fstype "cgroup2", or "cgroup" with
// `option` among the super options. Fields: id parent dev root mountpoint opts [tags] - type
// source superopts.
std::optional<std::pair<fs::path, std::string>> find_mount(const std::string& mountinfo,
                                                           std::string_view fstype,
                                                           std::string_view option) {
  for (const std::string& line : util::split(mountinfo, '\n')) {
    std::vector<std::string> fields = util::split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4 || dash[1] != fstype)
      continue;
    if (!option.empty()) {
      std::vector<std::string> options = util::split(dash[3], ',');
      if (std::find(options.begin(), options.end(), option) == options.end())
        continue;
    }
    return std::make_pair(fs::path(fields[4]), fields[3]);
  }
  return std::nullopt;
}

// This process's cgroup in the hierarchy whose /proc/self/cgroup controller list is `controller`
// ("" for the v2 line "0::/path").
std::optional<std::string> own_cgroup(const std::string& proc_cgroup, std::string_view controller) {
  for (const std::string& line : util::split(proc_cgroup, '\n')) {
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos)
      continue;
    std::string_view list = std::string_view(line).substr(first + 1, second - first - 1);
    bool match = controller.empty() ? line.compare(0, first, "0") == 0 && list.empty()
                                    : util::split(list, ',') == std::vector<std::string>{std::string(controller)};
    if (match)
      return line.substr(second + 1);
  }
  return std::nullopt;
}

// What the process knows of its cgroups: read once for both hierarchies.
struct CgroupView {
  std::string mountinfo = util::read_file("/proc/self/mountinfo");
  std::string proc_cgroup = util::read_file("/proc/self/cgroup");
};

std::optional<Hierarchy> hierarchy(const CgroupView& view, std::string_view fstype,
                                   std::string_view option) {
  const std::string& mountinfo = view.mountinfo;
  const std::string& proc_cgroup = view.proc_cgroup;
  auto mount = find_mount(mountinfo, fstype, option);
  auto own = own_cgroup(proc_cgroup, option);
  if (!mount || !own)
    return std::nullopt;
  // With a cgroup namespace the mount's root is where the process's path starts.
  std::string path = *own;
  if (mount->second != "/" && path.rfind(mount->second, 0) == 0)
    path.erase(0, mount->second.size());
  return Hierarchy{mount->first, path};
}

// mkdir that accepts an existing directory (a leftover of a monitor killed with SIGKILL).
void make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
    util::throw_errno(util::cat("create cgroup ", util::quote(dir.string())));
}

void write_control(const fs::path& file, std::string_view value) {
  util::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(file.string())));
  if (::write(fd.get(), value.data(), value.size()) < 0)
    util::throw_errno(util::cat("write ", util::quote(value), " to ", util::quote(file.string())));
}

bool is_v1(const fs::path& dir) {
  return ::access((dir / "freezer.state").c_str(), F_OK) == 0;
}

// "FROZEN" (v1) or "frozen 1" in cgroup.events (v2).
bool frozen_now(const fs::path& dir, bool v1) {
  if (v1)
    return util::trim(util::read_file(dir / "freezer.state")) == "FROZEN";
  for (const std::string& line : util::split(util::read_file(dir / "cgroup.events"), '\n'))
    if (line == "frozen 1")
      return true;
  return false;
}

std::optional<fs::path> try_v1(const CgroupView& view, const std::string& id, std::string& why) {
  std::optional<Hierarchy> h = hierarchy(view, "cgroup", "freezer");
  if (!h) {
    why += "no cgroup v1 freezer hierarchy is mounted; ";
    return std::nullopt;
  }
  fs::path parent = h->mount / fs::path(h->own).relative_path() / "cove";
  try {
    make_dir(parent);
    make_dir(parent / id);
  } catch (const util::Error& e) {
    why += util::cat(e.what(), "; ");
    return std::nullopt;
  }
  return parent / id;
}

std::optional<fs::path> try_v2(const CgroupView& view, const std::string& id, std::string& why) {
  std::optional<Hierarchy> h = hierarchy(view, "cgroup2", "");
  if (!h) {
    why += "no cgroup v2 hierarchy is mounted; ";
    return std::nullopt;
  }
  fs::path dir = h->mount / fs::path(h->own).relative_path() / ("cove-" + id.substr(0, 12));
  try {
    make_dir(dir);
  } catch (const util::Error& e) {
    why += util::cat(e.what(), " (the cgroup ", util::quote(h->own),
                     " is not delegated to this user); ");
    return std::nullopt;
  }
  if (::access((dir / "cgroup.freeze").c_str(), W_OK) < 0) {
    why += util::cat(util::quote((dir / "cgroup.freeze").string()),
                     " is missing or not writable (Linux 5.2 or later is needed); ");
    ::rmdir(dir.c_str());
    return std::nullopt;
  }
  return dir;
}

} // namespace

std::optional<FreezerCgroup> FreezerCgroup::create(const std::string& id, std::string& why) {
  why.clear();
  CgroupView view;
  std::optional<fs::path> dir = try_v1(view, id, why);
  if (!dir)
    dir = try_v2(view, id, why);
  if (!dir) {
    while (!why.empty() && (why.back() == ' ' || why.back() == ';'))
      why.pop_back();
    LOG_DEBUG("no freezer cgroup: ", why);
    return std::nullopt;
  }
  why.clear();
  LOG_DEBUG("freezer cgroup ", dir->string());
  return FreezerCgroup(std::move(*dir));
}

FreezerCgroup::~FreezerCgroup() {
  if (m_dir.empty())
    return;
  try {
    if (cgroup_frozen(m_dir))
      thaw_cgroup(m_dir);
  } catch (const std::exception& e) {
    util::log::warning(e.what());
  }
  // The last processes of the pid namespace may still be on their way out.
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (::rmdir(m_dir.c_str()) == 0 || errno == ENOENT)
      return;
    if (errno != EBUSY)
      break;
    std::this_thread::sleep_for(5ms);
  }
  util::log::warning("remove cgroup ", util::quote(m_dir.string()), ": ", std::strerror(errno));
}

void FreezerCgroup::add(pid_t pid) const {
  write_control(m_dir / "cgroup.procs", util::cat(pid, "\n"));
}

void freeze_cgroup(const fs::path& dir) {
  bool v1 = is_v1(dir);
  // v1 may stay FREEZING while a task is busy in the kernel: write again until it settles (the
  // same loop runc uses), giving up after a while rather than leaving it half frozen.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  auto pause = 1ms;
  for (;;) {
    write_control(v1 ? dir / "freezer.state" : dir / "cgroup.freeze", v1 ? "FROZEN" : "1");
    if (frozen_now(dir, v1))
      return;
    if (std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  thaw_cgroup(dir);
  throw util::Error(util::cat("freeze cgroup ", util::quote(dir.string()),
                              ": its processes did not stop within 10 seconds"));
}

void thaw_cgroup(const fs::path& dir) {
  bool v1 = is_v1(dir);
  write_control(v1 ? dir / "freezer.state" : dir / "cgroup.freeze", v1 ? "THAWED" : "0");
}

bool cgroup_frozen(const fs::path& dir) noexcept {
  try {
    if (dir.empty() || ::access(dir.c_str(), F_OK) < 0)
      return false;
    return frozen_now(dir, is_v1(dir));
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace runtime
