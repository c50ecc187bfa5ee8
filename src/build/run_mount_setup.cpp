#include "build/run_mount_setup.hpp"

#include "build/dir_sink.hpp"
#include "runtime/confined.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

namespace build {
namespace fs = std::filesystem;
namespace {

// A COPY of the mount's source (a path of the context or of a rootfs) to `dest` in a sink.
CopyPlan plan_for(const RunMount& m, std::string dest, bool from_rootfs) {
  CopyPlan plan;
  plan.sources.push_back(from_rootfs ? "/" + m.source : (m.source.empty() ? "." : m.source));
  plan.dest = std::move(dest);
  plan.from_rootfs = from_rootfs;
  return plan;
}

const Context& context_of(const MountSources& sources) {
  if (sources.context.dir.empty())
    throw util::Error("the build has no context to mount (the Dockerfile came on stdin)");
  return sources.context;
}

// `rel` inside the mounted `rootfs`, with symlinks resolved inside it: the host path to bind.
fs::path resolve_in_rootfs(const fs::path& rootfs, const std::string& rel) {
  util::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root)
    util::throw_errno(util::cat("open ", util::quote(rootfs.string())));
  int fd = runtime::open_in_root(root.get(), rel.empty() ? "." : rel.c_str(), O_PATH);
  if (fd < 0)
    util::throw_errno(-fd, util::cat("source ", util::quote("/" + rel)));
  util::UniqueFd opened(fd);
  char buf[PATH_MAX];
  auto proc = util::cat("/proc/self/fd/", fd);
  auto n = ::readlink(proc.c_str(), buf, sizeof buf - 1);
  if (n < 0)
    util::throw_errno(util::cat("readlink ", proc));
  fs::path real(std::string(buf, static_cast<std::size_t>(n)));
  auto text = real.string(), prefix = rootfs.string();
  if (text != prefix && text.compare(0, prefix.size() + 1, prefix + "/") != 0)
    throw util::Error(util::cat("source ", util::quote("/" + rel), " resolves outside its rootfs"));
  return real;
}

std::string rethrow_context(const RunMount& m) {
  static const char* names[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
  return util::cat("--mount=type=", names[static_cast<int>(m.type)], ",target=", m.target);
}

} // namespace

std::string mount_inputs(const MountSources& sources, const std::vector<RunMount>& mounts) {
  util::Sha256 hash;
  bool any = false;
  for (const auto& m : mounts) {
    if (m.type != RunMountType::bind)
      continue;
    any = true;
    try {
      if (m.from.empty()) {
        HashSink content;
        write_copy_layer(context_of(sources), plan_for(m, "/mnt", false), content);
        hash.update(util::cat("bind ", m.target, " context ", content.finish(), "\n"));
      } else {
        hash.update(util::cat("bind ", m.target, " from ", m.source, "\n"));
        for (const auto& id : sources.layers_of(m.from))
          hash.update(util::cat(" ", id.str()));
        hash.update("\n");
      }
    } catch (const util::Error&) {
      util::rethrow_with_context(rethrow_context(m));
    }
  }
  return any ? hash.finish_hex() : std::string();
}

void check_required_secrets(const std::vector<RunMount>& mounts, const std::vector<SecretSource>& secrets) {
  for (const auto& m : mounts)
    if (m.type == RunMountType::secret && m.required && !find_secret(secrets, m.id))
      throw util::Error(util::cat("secret ", util::quote(m.id), " is required but was not given (pass --secret id=",
                                  m.id, ",src=PATH)"));
}

void check_required_ssh(const std::vector<RunMount>& mounts, const std::vector<SshSource>& ssh) {
  for (const auto& m : mounts)
    if (m.type == RunMountType::ssh && m.required && !find_ssh(ssh, m.id))
      throw util::Error(util::cat("ssh agent ", util::quote(m.id), " is required but was not given (pass --ssh ",
                                  m.id, "[=SOCKET])"));
}

PreparedMounts::PreparedMounts(const MountSources& sources, const std::vector<RunMount>& mounts) {
  for (const auto& m : mounts) {
    try {
      switch (m.type) {
      case RunMountType::bind:
        m.from.empty() ? bind_context(sources, m) : bind_layers(sources, m);
        break;
      case RunMountType::cache:
        cache(sources, m);
        break;
      case RunMountType::tmpfs: {
        runtime::Mount tmpfs;
        tmpfs.type = runtime::MountType::tmpfs;
        tmpfs.destination = m.target;
        // BuildKit's RUN tmpfs: executable, world-writable like /tmp.
        tmpfs.options = m.size ? util::cat("exec,mode=1777,size=", *m.size) : std::string("exec,mode=1777");
        m_mounts.push_back(std::move(tmpfs));
        break;
      }
      case RunMountType::secret:
        secret(sources, m);
        break;
      case RunMountType::ssh:
        ssh(sources, m);
        break;
      }
    } catch (const util::Error&) {
      util::rethrow_with_context(rethrow_context(m));
    }
  }
}

// The context as a COPY would see it (.dockerignore applied, confined), copied aside: a
// read-only view, or a scratch copy whose changes are dropped with it for `rw`.
void PreparedMounts::bind_context(const MountSources& sources, const RunMount& m) {
  const auto& ctx = context_of(sources);
  const auto& dir = m_dirs.emplace_back(sources.store.tmp_dir(), "run-bind-");
  if (::mkdir(dir.path().c_str(), 0700) < 0)
    util::throw_errno(util::cat("mkdir ", util::quote(dir.path().string())));
  DirSink sink(dir.path());
  write_copy_layer(ctx, plan_for(m, "/src", false), sink);
  runtime::Mount bind;
  bind.source = (dir.path() / "src").string();
  bind.destination = m.target;
  bind.read_only = m.read_only;
  m_mounts.push_back(std::move(bind));
}

// Another stage's or an image's rootfs, mounted read-only, or over a throw-away upper dir for rw.
void PreparedMounts::bind_layers(const MountSources& sources, const RunMount& m) {
  auto layers = sources.layers_of(m.from);
  const auto& dir = m_dirs.emplace_back(sources.store.tmp_dir(), "run-bind-");
  if (::mkdir(dir.path().c_str(), 0700) < 0)
    util::throw_errno(util::cat("mkdir ", util::quote(dir.path().string())));
  auto access = m.read_only ? runtime::Access::read_only : runtime::Access::read_write;
  const auto& root = m_roots.emplace_back(runtime::MountedRootfs::mount(
      sources.store, runtime::choose_driver(sources.store, sources.driver), layers, dir.path(), access,
      runtime::Lifetime::transient));
  runtime::Mount bind;
  bind.source = resolve_in_rootfs(root.path(), m.source).string();
  bind.destination = m.target;
  bind.read_only = m.read_only;
  m_mounts.push_back(std::move(bind));
}

void PreparedMounts::cache(const MountSources& sources, const RunMount& m) {
  CacheSeed seed;
  if (!m.from.empty())
    seed = [&](const fs::path& into) {
      auto layers = sources.layers_of(m.from);
      storage::TmpEntry dir(sources.store.tmp_dir(), "cache-from-");
      if (::mkdir(dir.path().c_str(), 0700) < 0)
        util::throw_errno(util::cat("mkdir ", util::quote(dir.path().string())));
      auto root = runtime::MountedRootfs::mount(sources.store, runtime::choose_driver(sources.store, sources.driver),
                                                layers, dir.path(), runtime::Access::read_only);
      Context from;
      from.dir = root.path();
      DirSink sink(into);
      write_copy_layer(from, plan_for(m, "/", true), sink);
    };
  const auto& dir = m_caches.emplace_back(CacheMountDir::acquire(sources.store, m, seed));
  runtime::Mount bind;
  bind.source = dir.path().string();
  bind.destination = m.target;
  bind.read_only = m.read_only;
  m_mounts.push_back(std::move(bind));
}

// A secret the build was not given is left out, unless required (checked before the cache).
void PreparedMounts::secret(const MountSources& sources, const RunMount& m) {
  const auto* source = find_secret(sources.secrets, m.id);
  if (!source) {
    check_required_secrets({m}, sources.secrets);
    return;
  }
  const auto& staged = m_secrets.emplace_back(sources.store.tmp_dir(), m.id, read_secret(*source, sources.env),
                                              m.mode, m.uid, m.gid);
  runtime::Mount bind;
  bind.source = staged.file().string();
  bind.destination = m.target;
  bind.read_only = true;
  m_mounts.push_back(std::move(bind));
}

// An agent id the build was not given is left out, unless required (checked before the cache).
void PreparedMounts::ssh(const MountSources& sources, const RunMount& m) {
  const auto* source = find_ssh(sources.ssh, m.id);
  if (!source) {
    check_required_ssh({m}, sources.ssh);
    return;
  }
  const auto& agent = m_agents.emplace_back(sources.store.tmp_dir(), source->socket, m.mode, m.uid, m.gid);
  runtime::Mount bind;
  bind.source = agent.socket().string();
  bind.destination = m.target;
  m_mounts.push_back(std::move(bind));
}

} // namespace build
