#include "runtime/rootfs.hpp"

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

// Whiteouts in the store are 0/0 character devices, as overlayfs itself writes them.
bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("user.overlay.") || name.starts_with("trusted.overlay.") ||
         name.starts_with("user.fuseoverlayfs.");
}

bool is_opaque(const std::string& dir) {
  for (const char* name :
       {"user.overlay.opaque", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque"}) {
    char value[2] = {};
    if (::lgetxattr(dir.c_str(), name, value, sizeof value) == 1 && value[0] == 'y')
      return true;
  }
  return false;
}

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

// Names first, so the caller may change the directory while going through them.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  return names;
}

void copy_xattrs(const std::string& src, const std::string& dst) {
  ssize_t size = ::llistxattr(src.c_str(), nullptr, 0);
  if (size <= 0)
    return;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::llistxattr(src.c_str(), names.data(), names.size());
  names.resize(size > 0 ? static_cast<size_t>(size) : 0);
  for (const std::string& name : util::split(names, '\0')) {
    if (name.empty() || is_overlay_xattr(name))
      continue;
    ssize_t len = ::lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    std::string value(len > 0 ? static_cast<size_t>(len) : 0, '\0');
    if (len < 0 || ::lgetxattr(src.c_str(), name.c_str(), value.data(), value.size()) < 0)
      util::throw_errno(cat("read xattr ", name, " of ", quote(src)));
    if (::lsetxattr(dst.c_str(), name.c_str(), value.data(), value.size(), 0) < 0)
      util::throw_errno(cat("set xattr ", name, " on ", quote(dst)));
  }
}

// Owner before mode: chown clears setuid/setgid bits.
void copy_metadata(const std::string& src, const std::string& dst, const struct stat& st) {
  // EINVAL: the owner is not mapped in this namespace (single-id mapping), so it stays root.
  if (::lchown(dst.c_str(), st.st_uid, st.st_gid) < 0 && errno != EINVAL)
    util::throw_errno(cat("chown ", quote(dst)));
  if (!S_ISLNK(st.st_mode) && ::chmod(dst.c_str(), st.st_mode & 07777) < 0)
    util::throw_errno(cat("chmod ", quote(dst)));
  copy_xattrs(src, dst);
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno(cat("set times of ", quote(dst)));
}

// A reflink where the filesystem shares extents (btrfs, xfs), else copy_file_range (in-kernel,
// no user-space buffer), else plain read/write across filesystems that refuse both.
void copy_file_data(const std::string& src, const std::string& dst) {
  util::UniqueFd in(::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in)
    util::throw_errno(cat("open ", quote(src)));
  util::UniqueFd out(
      ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out)
    util::throw_errno(cat("create ", quote(dst)));
  if (::ioctl(out.get(), FICLONE, in.get()) == 0)
    return;
  ssize_t n;
  while ((n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0)) > 0) {
  }
  if (n == 0)
    return;
  if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    util::throw_errno(cat("copy ", quote(src), " to ", quote(dst)));
  char buf[65536];
  while ((n = ::read(in.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || ::write(out.get(), buf, static_cast<size_t>(n)) != n)
      util::throw_errno(cat("copy ", quote(src), " to ", quote(dst)));
  }
}

// Applies overlay-form layers onto a plain directory, bottom layer first, with overlay's rules:
// a 0/0 char device deletes the lower entry, an opaque directory hides the lower contents, and
// any entry replaces a lower one of another type.
class LayerApplier {
public:
  void apply(const fs::path& layer, const fs::path& dest) {
    m_links.clear(); // hard links never span layers
    apply_dir(layer.string(), dest.string());
  }

private:
  void apply_dir(const std::string& src, const std::string& dst) {
    for (const std::string& name : list_dir(src)) {
      std::string s = cat(src, '/', name);
      std::string d = cat(dst, '/', name);
      struct stat st{};
      if (::lstat(s.c_str(), &st) < 0)
        util::throw_errno(cat("stat ", quote(s)));
      if (is_whiteout(st)) {
        util::remove_tree(d);
      } else if (S_ISDIR(st.st_mode)) {
        merge_dir(s, d, st);
      } else {
        util::remove_tree(d);
        create_entry(s, d, st);
      }
    }
  }

  // Only ever descends into real directories of the destination (lstat), so a symlink from a
  // lower layer cannot redirect writes outside the rootfs.
  void merge_dir(const std::string& s, const std::string& d, const struct stat& st) {
    struct stat dst_st{};
    bool exists = ::lstat(d.c_str(), &dst_st) == 0;
    if (exists && !S_ISDIR(dst_st.st_mode)) {
      util::remove_tree(d);
      exists = false;
    }
    if (!exists) {
      if (::mkdir(d.c_str(), 0700) < 0)
        util::throw_errno(cat("create directory ", quote(d)));
    } else if (is_opaque(s)) {
      for (const std::string& child : list_dir(d))
        util::remove_tree(cat(d, '/', child));
    }
    apply_dir(s, d);
    copy_metadata(s, d, st); // last: adding children changed the mtime
  }

  void create_entry(const std::string& s, const std::string& d, const struct stat& st) {
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = m_links.emplace(st.st_ino, d);
      if (!first) {
        if (::link(it->second.c_str(), d.c_str()) < 0)
          util::throw_errno(cat("link ", quote(d), " to ", quote(it->second)));
        return;
      }
    }
    if (S_ISREG(st.st_mode)) {
      copy_file_data(s, d);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(s.c_str(), target.data(), target.size());
      if (n < 0)
        util::throw_errno(cat("read link ", quote(s)));
      target.resize(static_cast<size_t>(n));
      if (::symlink(target.c_str(), d.c_str()) < 0)
        util::throw_errno(cat("create symlink ", quote(d)));
    } else if (::mknod(d.c_str(), st.st_mode, st.st_rdev) < 0) {
      util::throw_errno(cat("create special file ", quote(d)));
    }
    copy_metadata(s, d, st);
  }

  std::unordered_map<ino_t, std::string> m_links;
};

// The copy driver fills rootfs/ once, through a partial directory renamed at the end, so an
// interrupted first start never leaves a half-applied tree that a later start would trust.
fs::path prepare_copy(const storage::Store& store, const std::vector<image::Digest>& layers,
                      const fs::path& container_dir) {
  fs::path rootfs = container_dir / "rootfs";
  if (fs::is_directory(rootfs))
    return rootfs;
  fs::path partial = container_dir / "rootfs.partial";
  util::remove_tree(partial);
  make_dir(partial);
  LayerApplier applier;
  for (const image::Digest& layer : layers)
    applier.apply(store.layers().diff_dir(layer), partial);
  if (::rename(partial.c_str(), rootfs.c_str()) < 0)
    util::throw_errno(cat("rename ", quote(partial.string()), " to ", quote(rootfs.string())));
  LOG_DEBUG("copied ", layers.size(), " layers into ", rootfs.string());
  return rootfs;
}

void bind_read_only(const fs::path& dir) {
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) < 0)
    util::throw_errno(cat("bind ", quote(dir.string()), " read-only"));
}

Stack make_stack(const storage::Store& store, const std::vector<image::Digest>& layers,
                 const fs::path& container_dir, Access access) {
  Stack stack;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
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
