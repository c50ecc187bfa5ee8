#include "runtime/run.hpp"

#include "image/config.hpp"
#include "image/reference.hpp"
#include "net/etc_files.hpp"
#include "runtime/confined.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/foreground.hpp"
#include "runtime/launcher.hpp"
#include "runtime/signals.hpp"
#include "runtime/spec.hpp"
#include "runtime/terminal.hpp"
#include "runtime/user.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/scope_exit.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace runtime {

namespace {

// Network modes of this version; slirp4netns and pasta come later.
NetworkNamespace network_namespace(const std::string& mode) {
  if (mode == "host")
    return NetworkNamespace::shared;
  if (mode == "none")
    return NetworkNamespace::private_;
  throw util::Error(util::cat("unsupported network mode ", util::quote(mode),
                              ": use \"host\" or \"none\""));
}

std::string record_image_name(const std::string& typed) {
  if (image::looks_like_id_prefix(typed))
    return typed;
  return image::ImageRef::parse(typed).str();
}

std::vector<std::string> read_env_files(const std::vector<std::string>& paths) {
  std::vector<std::string> contents;
  for (const std::string& path : paths)
    contents.push_back(util::read_file(path));
  return contents;
}

std::optional<std::string> caller_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

// make_spec, then the user resolved from the image's own passwd/group (read confined), and
// HOME from passwd when neither the image nor -e sets it (Docker's rule).
std::pair<ContainerSpec, ResolvedUser> build_spec(const image::ImageConfig& config,
                                                  const RunRequest& request,
                                                  const std::string& id,
                                                  const std::filesystem::path& rootfs) {
  ContainerSpec spec =
      make_spec(config, request, id, read_env_files(request.env_files), caller_env);
  std::string passwd = read_file_in_root(rootfs, "/etc/passwd").value_or("");
  std::string group = read_file_in_root(rootfs, "/etc/group").value_or("");
  ResolvedUser user = resolve_user(spec.user, passwd, group);
  bool has_home = std::any_of(spec.env.begin(), spec.env.end(),
                              [](const std::string& entry) { return entry.rfind("HOME=", 0) == 0; });
  if (!has_home)
    spec.env.push_back("HOME=" + user.home);
  for (const BindMount& volume : spec.mounts) {
    struct stat st;
    if (::stat(volume.source.c_str(), &st) < 0)
      util::throw_errno(util::cat("bind mount source ", util::quote(volume.source)));
  }
  return {std::move(spec), user};
}

// /etc/hosts, /etc/hostname and /etc/resolv.conf for the container, bound over the image's.
void write_etc_files(const std::filesystem::path& dir, const ContainerSpec& spec) {
  util::make_dirs(dir, 0755);
  net::EtcFilesRequest files;
  files.hostname = spec.hostname;
  files.network = spec.network == "none" ? net::NetworkKind::none : net::NetworkKind::host;
  net::write_etc_files(dir, files);
}

// setgroups(2) is denied in a user namespace with a single-id mapping.
bool setgroups_allowed() {
  std::optional<std::string> text = util::read_file_if_exists("/proc/self/setgroups");
  return !text || util::trim(*text) != "deny";
}

ChildPlan make_child_plan(const ContainerSpec& spec, const ResolvedUser& user,
                          const std::filesystem::path& rootfs, MountPlan mounts) {
  ChildPlan plan;
  plan.mounts = std::move(mounts);
  plan.rootfs = rootfs.string();
  plan.hostname = spec.hostname;
  plan.cwd = spec.cwd;
  plan.uid = user.uid;
  plan.gid = user.gid;
  plan.groups = user.groups;
  plan.set_groups = setgroups_allowed();
  plan.loopback_up = spec.network == "none";
  plan.args = spec.args;
  plan.env = spec.env;
  return plan;
}

void save_state(storage::Store& store, storage::ContainerRecord& record, nlohmann::json state) {
  record.state = std::move(state);
  store.containers().save(record);
}

// Removes a --rm container at scope exit; runs from a destructor, so it logs instead of throwing.
void remove_container(storage::Store& store, const storage::ContainerRecord& record) noexcept {
  try {
    store.containers().remove(record);
  } catch (const std::exception& e) {
    util::log::warning("remove container ", record.id, ": ", e.what());
  }
}

// Starts the prepared container and waits for it in the foreground; returns the wait status.
int start_and_wait(storage::Store& store, storage::ContainerRecord& record,
                   const ContainerSpec& spec, ChildPlan& plan, std::optional<Pty>& pty) {
  util::UniqueFd null_stdin;
  if (!pty && !spec.stdin_open) {
    null_stdin.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_stdin)
      util::throw_errno("open \"/dev/null\"");
    plan.stdin_fd = null_stdin.get();
  }
  plan.tty_fd = pty ? pty->slave() : -1;
  SignalFd signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH});
  ContainerProcess process = Launcher::start(plan, network_namespace(spec.network));
  null_stdin.reset();
  save_state(store, record,
             {{"status", "running"}, {"pid", process.pid()}, {"started_at", image::now_rfc3339()}});
  ForegroundIo io;
  io.terminal = own_terminal();
  std::optional<RawMode> raw;
  if (pty) {
    pty->close_slave();
    io.pty = &*pty;
    io.forward_stdin = spec.stdin_open;
    if (spec.stdin_open)
      raw.emplace(STDIN_FILENO);
  }
  return wait_foreground(process, signals, io);
}

} // namespace

int run(storage::Store& store, const RuntimeOptions& options, const RunRequest& request) {
  network_namespace(request.network.empty() ? "host" : request.network);
  storage::ImageRecord image =
      registry::ensure_image(store, request.image, request.pull, request.pull_options);
  image::ImageConfig config = image::ImageConfig::from_json(store.blobs().read(image.id));
  std::vector<storage::LayerLease> leases;
  for (const image::Digest& layer : image.layers)
    leases.push_back(store.layers().lease(layer));

  storage::ContainerRecord record = store.containers().create(
      request.name, record_image_name(request.image), image.id, nlohmann::json::object(),
      request.rm);
  util::ScopeExit remove_guard([&] {
    if (request.rm)
      remove_container(store, record);
  });
  const std::filesystem::path dir = store.containers().dir(record.id);
  DriverChoice choice = choose_driver(store, options.driver);
  MountedRootfs rootfs =
      MountedRootfs::mount(store, choice, image.layers, dir, Access::read_write,
                           request.rm ? Lifetime::transient : Lifetime::persistent);

  auto [spec, user] = build_spec(config, request, record.id, rootfs.path());
  record.spec = spec.to_json();
  record.driver = std::string(to_string(rootfs.driver()));
  save_state(store, record, {{"status", "created"}});
  write_etc_files(dir / "userdata", spec);

  std::optional<Pty> pty;
  if (spec.tty)
    pty.emplace(Pty::open(own_terminal()));
  MountInputs inputs{rootfs.path(), dir / "userdata", pty ? pty->slave_path() : std::string()};
  ChildPlan plan = make_child_plan(spec, user, rootfs.path(), make_mount_plan(spec, inputs));
  int status = start_and_wait(store, record, spec, plan, pty);
  int code = exit_code(status);
  LOG_DEBUG("container ", record.id, " ", util::describe_status(status));
  if (!request.rm) {
    nlohmann::json state = record.state;
    state["status"] = "exited";
    state["exit_code"] = code;
    state["finished_at"] = image::now_rfc3339();
    state.erase("pid");
    save_state(store, record, std::move(state));
  }
  return code;
}

} // namespace runtime
