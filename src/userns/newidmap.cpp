#include "userns/newidmap.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace userns {

namespace {

// Some distributions ship the helpers with file capabilities (cap_setuid/cap_setgid) instead
// of the setuid bit; either grants what they need.
std::optional<std::string> check_helper(const char* name) {
  auto path = util::find_program(name);
  if (!path)
    return util::cat(name, " is not installed: apt-get install uidmap");
  struct stat st{};
  if (::stat(path->c_str(), &st) < 0)
    return util::cat("stat ", util::quote(*path), ": ", std::strerror(errno));
  bool setuid_root = st.st_uid == 0 && (st.st_mode & S_ISUID) != 0;
  bool has_caps = ::getxattr(path->c_str(), "security.capability", nullptr, 0) > 0;
  if (!setuid_root && !has_caps)
    return util::cat(*path, " is neither setuid root nor has file capabilities: chmod u+s ",
                     *path, " (or reinstall uidmap)");
  return std::nullopt;
}

util::Subprocess start_helper(const char* name, pid_t pid, const std::vector<IdMap>& maps) {
  std::vector<std::string> argv{name, std::to_string(pid)};
  for (std::string& arg : to_newidmap_args(maps))
    argv.push_back(std::move(arg));
  return util::Subprocess::spawn(argv);
}

void finish_helper(util::Subprocess& proc) {
  int status = proc.wait();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return;
  std::string err(util::trim(proc.err()));
  throw util::Error(util::cat(proc.command_line(), ": ", util::describe_status(status),
                              err.empty() ? "" : ": ", err));
}

void write_proc_file(pid_t pid, const char* name, std::string_view text) {
  std::string path = util::cat("/proc/", pid, '/', name);
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(path)));
  // The kernel wants each map in one write(2).
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n < 0)
    util::throw_errno(
        util::cat("write ", util::quote(util::trim(text)), " to ", util::quote(path)));
  if (static_cast<size_t>(n) != text.size())
    throw util::Error(util::cat("write ", util::quote(path), ": short write"));
}

} // namespace

std::optional<std::string> helper_problem() {
  if (auto problem = check_helper("newuidmap"))
    return problem;
  return check_helper("newgidmap");
}

MapHelpers start_map_helpers(pid_t pid, const IdMapping& mapping) {
  MapHelpers helpers{start_helper("newgidmap", pid, mapping.gids),
                     start_helper("newuidmap", pid, mapping.uids)};
  LOG_DEBUG("id mapping of pid ", pid, " handed to newuidmap/newgidmap: uids ",
            util::join(to_newidmap_args(mapping.uids), " "), ", gids ",
            util::join(to_newidmap_args(mapping.gids), " "));
  return helpers;
}

void MapHelpers::finish() {
  finish_helper(gid_helper);
  finish_helper(uid_helper);
}

void write_single_mapping(pid_t pid, uid_t uid, gid_t gid) {
  // Without "deny" the kernel refuses an unprivileged gid_map write (CVE-2014-8989: otherwise
  // setgroups could drop a group used to deny access).
  write_proc_file(pid, "setgroups", "deny");
  write_proc_file(pid, "gid_map", util::cat("0 ", gid, " 1\n"));
  write_proc_file(pid, "uid_map", util::cat("0 ", uid, " 1\n"));
  LOG_DEBUG("single id mapping of pid ", pid, " written directly: 0 -> uid ", uid, ", gid ", gid);
}

} // namespace userns
