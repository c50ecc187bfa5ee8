#include "runtime/rootfs.hpp"

#include "runtime/rootfs_copy.hpp"
#include "storage/store.hpp"
#include "storage/tmp_entry.hpp"
#include "userns/reexec.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/paths.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <utility>

namespace runtime {

namespace fs = std::filesystem;
using util::cat;
using util::quote;

namespace {

constexpr long fuse_super_magic = 0x65735546;
// mount(2) copies at most one page of option data.
constexpr size_t max_mount_data = 4000;


// Inside a user namespace overlay must keep its metadata in user.* xattrs (trusted.* needs
// CAP_SYS_ADMIN in the initial namespace); the store writes them that way there.
bool in_user_namespace() {
  auto uids = userns::current_mapping().uids;
  return !(uids.size() == 1 && uids[0] == userns::IdMap{0, 0, 4294967295UL});
}

void make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
    util::throw_errno(cat("create directory ", quote(dir.string())));
}

struct Stack {
  std::vector<std::string> lowers; // top first
  std::vector<std::string> short_lowers;
  std::string upper, work;
};

// Full layer paths when they fit in the page mount(2) accepts, else the store's l/<id> short
// links (about 60 layers under a typical root). Unlike chdir into the store with relative
// paths, this leaves the process-wide cwd alone, and unlike fsconfig "lowerdir+" it works on
// kernels before 6.8 (Debian 12 ships 6.1).
std::string stack_mount_data(const Stack& stack, bool userxattr, Lifetime lifetime) {
  std::string data = overlay_mount_data(stack.lowers, stack.upper, stack.work, userxattr, lifetime);
  if (data.size() > max_mount_data)
    data = overlay_mount_data(stack.short_lowers, stack.upper, stack.work, userxattr, lifetime);
  if (data.size() > max_mount_data)
    throw util::Error(cat(stack.lowers.size(), " layers do not fit in one overlay mount"));
  return data;
}

void mount_overlay(const Stack& stack, bool userxattr, const fs::path& merged,
                   Lifetime lifetime = Lifetime::persistent) {
  std::string data = stack_mount_data(stack, userxattr, lifetime);
  if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) < 0)
    util::throw_errno(cat("mount overlay on ", quote(merged.string()), " (", data.size(),
                          " bytes of options, ", stack.lowers.size(), " lower dirs)"));
}

// fuse-overlayfs daemonizes once the mount exists (libfuse points the daemon's stdio at
// /dev/null), so waiting for the first process is enough and its stderr is the error message.
void mount_fuse(const Stack& stack, const fs::path& merged, Lifetime lifetime) {
  std::string data = stack_mount_data(stack, false, Lifetime::persistent);
  if (lifetime == Lifetime::transient && !stack.upper.empty())
    data += ",fsync=0";
  util::Subprocess proc = util::Subprocess::spawn({"fuse-overlayfs", "-o", data, merged.string()});
  int status = proc.wait();
  std::string err(util::trim(proc.err()));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw util::Error(cat("fuse-overlayfs on ", quote(merged.string()), ": ",
                          util::describe_status(status), err.empty() ? "" : ": ", err));
  struct statfs sfs{};
  if (::statfs(merged.c_str(), &sfs) < 0 || sfs.f_type != fuse_super_magic)
    throw util::Error(
        cat("fuse-overlayfs exited but no FUSE mount appeared on ", quote(merged.string())));
}

void unmount(const fs::path& path, RootfsDriver driver) noexcept {
  if (::umount2(path.c_str(), MNT_DETACH) == 0)
    return;
  std::string problem = std::strerror(errno);
  try {
    // Outside the namespace that made a FUSE mount only its setuid helper may undo it.
    if (driver == RootfsDriver::fuse_overlayfs)
      return (void)util::run_checked({"fusermount3", "-u", "-z", path.string()});
  } catch (const std::exception& e) {
    problem = e.what();
  }
  util::log::warning("unmount ", quote(path.string()), ": ", problem);
}


void bind_read_only(const fs::path& dir) {
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) < 0)
    util::throw_errno(cat("bind ", quote(dir.string()), " read-only"));
}

Stack make_stack(const storage::Store& store, const std::vector<image::Digest>& layers,
                 const fs::path& container_dir, Access access) {
  Stack stack;
  // A layer listed twice (two RUN steps that changed nothing give the same empty layer) is
  // stacked once, at its topmost place: overlayfs refuses a lower dir that appears twice, and
  // the lower copy is entirely shadowed by the upper one, whiteouts included.
  std::vector<image::Digest> stacked;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (std::find(stacked.begin(), stacked.end(), *it) != stacked.end())
      continue;
    stacked.push_back(*it);
    stack.lowers.push_back(store.layers().diff_dir(*it).string());
    stack.short_lowers.push_back((store.root() / store.layers().short_path(*it)).string());
  }
  // Overlay needs one lower dir, and two when there is no upper dir.
  size_t needed = access == Access::read_only ? 2 : 1;
  if (stack.lowers.size() < needed) {
    fs::path empty = container_dir / "empty";
    make_dir(empty);
    while (stack.lowers.size() < needed) {
      stack.lowers.push_back(empty.string());
      stack.short_lowers.push_back(empty.string());
    }
  }
  if (access == Access::read_write) {
    make_dir(container_dir / "upper");
    make_dir(container_dir / "work");
    // The overlay's root directory takes its mode from upper/: give it the image root's
    // (normally 0755), or non-root users in the container could not even chdir to "/".
    struct stat top{};
    util::check(::stat(stack.lowers.front().c_str(), &top),
                cat("stat ", quote(stack.lowers.front())));
    util::check(::chmod((container_dir / "upper").c_str(), top.st_mode & 07777),
                cat("chmod ", quote((container_dir / "upper").string())));
    stack.upper = (container_dir / "upper").string();
    stack.work = (container_dir / "work").string();
  }
  return stack;
}

// A real mount of a two-layer stack with a write through it: the kernel, the options and the
// filesystem under the store all have their say, which no version check would capture.
std::optional<std::string> probe_mount(const fs::path& tmp, RootfsDriver driver, bool userxattr) {
  try {
    // A TmpEntry, so the next Store removes it if we are killed mid-probe.
    storage::TmpEntry dir(tmp, "probe-");
    make_dir(dir.path());
    for (const char* sub : {"l1", "l2", "upper", "work", "merged"})
      make_dir(dir.path() / sub);
    util::write_file_atomic(dir.path() / "l1" / "f", "x");
    Stack stack{{(dir.path() / "l2").string(), (dir.path() / "l1").string()}, {},
                (dir.path() / "upper").string(), (dir.path() / "work").string()};
    stack.short_lowers = stack.lowers;
    fs::path merged = dir.path() / "merged";
    if (driver == RootfsDriver::overlay)
      mount_overlay(stack, userxattr, merged);
    else
      mount_fuse(stack, merged, Lifetime::persistent);
    std::optional<std::string> problem;
    try {
      util::write_file_atomic(merged / "f", "y");
    } catch (const std::exception& e) {
      problem = e.what();
    }
    unmount(merged, driver);
    return problem;
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

DriverChoice probe_driver(const storage::Store& store, bool userxattr) {
  auto overlay_problem = probe_mount(store.tmp_dir(), RootfsDriver::overlay, userxattr);
  if (!overlay_problem)
    return {RootfsDriver::overlay, "a test mount of native overlayfs worked", userxattr};
  std::string reason = cat("native overlayfs failed (", *overlay_problem, ")");
  util::UniqueFd fuse(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  int fuse_errno = errno;
  if (!util::find_program("fuse-overlayfs"))
    reason += "; fuse-overlayfs is not installed";
  else if (!fuse)
    reason += cat("; cannot open /dev/fuse: ", std::strerror(fuse_errno));
  else if (auto fuse_problem = probe_mount(store.tmp_dir(), RootfsDriver::fuse_overlayfs, false))
    reason += cat("; fuse-overlayfs failed (", *fuse_problem, ")");
  else
    return {RootfsDriver::fuse_overlayfs, reason + "; a test mount of fuse-overlayfs worked",
            false};
  return {RootfsDriver::copy, reason + "; copying layers instead", false};
}

// The cached probe is keyed by kernel release and host uid, so a changed system re-probes.
std::string probe_key() {
  utsname uts{};
  ::uname(&uts);
  return cat(uts.release, " uid ", util::paths::host_uid());
}

std::optional<DriverChoice> read_cache(const fs::path& file, const std::string& key) {
  try {
    auto text = util::read_file_if_exists(file);
    if (!text)
      return std::nullopt;
    auto json = nlohmann::json::parse(*text);
    if (json.at("key").get<std::string>() != key)
      return std::nullopt;
    return DriverChoice{parse_driver(json.at("driver").get<std::string>()),
                        json.at("reason").get<std::string>(), json.at("userxattr").get<bool>()};
  } catch (const std::exception& e) {
    LOG_DEBUG("ignoring driver cache ", file.string(), ": ", e.what());
    return std::nullopt;
  }
}

} // namespace

std::string_view to_string(RootfsDriver driver) {
  static constexpr std::string_view names[] = {"overlay", "fuse-overlayfs", "copy"};
  return names[static_cast<size_t>(driver)];
}

RootfsDriver parse_driver(std::string_view text) {
  if (text == "overlay" || text == "overlayfs")
    return RootfsDriver::overlay;
  if (text == "fuse-overlayfs")
    return RootfsDriver::fuse_overlayfs;
  if (text == "copy" || text == "vfs")
    return RootfsDriver::copy;
  throw util::Error(cat("unknown storage driver ", quote(text),
                        ": expected overlay, fuse-overlayfs or copy"));
}

std::string escape_overlay_path(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == ',' || c == ':' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

std::string overlay_mount_data(const std::vector<std::string>& lowers, const std::string& upper,
                               const std::string& work, bool userxattr, Lifetime lifetime) {
  std::string data = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i)
    data += cat(i == 0 ? "" : ":", escape_overlay_path(lowers[i]));
  if (!upper.empty())
    data += cat(",upperdir=", escape_overlay_path(upper), ",workdir=", escape_overlay_path(work));
  if (userxattr)
    data += ",userxattr";
  // "volatile" needs an upper dir; it leaves work/incompat/volatile behind, which would make a
  // later mount of the same upper fail, so only containers that are never mounted again use it.
  if (lifetime == Lifetime::transient && !upper.empty())
    data += ",volatile";
  return data;
}

DriverChoice choose_driver(const storage::Store& store, std::optional<RootfsDriver> override) {
  bool userxattr = in_user_namespace();
  if (override) {
    DriverChoice choice{*override, "chosen with --storage-driver or COVE_STORAGE_DRIVER",
                        *override == RootfsDriver::overlay && userxattr};
    LOG_DEBUG("rootfs driver ", to_string(choice.driver), ": ", choice.reason);
    return choice;
  }
  fs::path cache = store.root() / "driver.json";
  std::string key = probe_key();
  if (auto cached = read_cache(cache, key)) {
    LOG_DEBUG("rootfs driver ", to_string(cached->driver), " (cached probe): ", cached->reason);
    return *cached;
  }
  DriverChoice choice = probe_driver(store, userxattr);
  nlohmann::json json{{"key", key}, {"driver", to_string(choice.driver)},
                      {"reason", choice.reason}, {"userxattr", choice.userxattr}};
  util::write_file_atomic(cache, json.dump(2) + "\n");
  LOG_DEBUG("rootfs driver ", to_string(choice.driver), " (probed): ", choice.reason);
  return choice;
}

MountedRootfs MountedRootfs::mount(const storage::Store& store, const DriverChoice& choice,
                                   const std::vector<image::Digest>& layers,
                                   const fs::path& container_dir, Access access,
                                   Lifetime lifetime) {
  try {
    if (choice.driver == RootfsDriver::copy) {
      fs::path rootfs = prepare_copy(store, layers, container_dir);
      if (access == Access::read_only)
        bind_read_only(rootfs);
      return MountedRootfs(rootfs, choice.driver, access == Access::read_only);
    }
    Stack stack = make_stack(store, layers, container_dir, access);
    fs::path merged = container_dir / "merged";
    make_dir(merged);
    if (choice.driver == RootfsDriver::overlay)
      mount_overlay(stack, choice.userxattr, merged, lifetime);
    else
      mount_fuse(stack, merged, lifetime);
    LOG_DEBUG("mounted ", layers.size(), " layers on ", merged.string(), " with ",
              to_string(choice.driver));
    return MountedRootfs(merged, choice.driver, true);
  } catch (...) {
    util::rethrow_with_context(cat("mount the root filesystem (", to_string(choice.driver), ")"));
  }
}

MountedRootfs::MountedRootfs(MountedRootfs&& other) noexcept
    : m_path(std::move(other.m_path)), m_driver(other.m_driver),
      m_active(std::exchange(other.m_active, false)) {}

MountedRootfs::~MountedRootfs() {
  if (m_active)
    unmount(m_path, m_driver);
}

} // namespace runtime
