#include "runtime/run.hpp"

#include "image/config.hpp"
#include "image/reference.hpp"
#include "runtime/container_start.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/foreground.hpp"
#include "runtime/monitor.hpp"
#include "runtime/signals.hpp"
#include "runtime/volumes.hpp"
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

#include <cstdlib>
#include <exception>

namespace runtime {

namespace {

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

void check_bind_sources(const ContainerSpec& spec) {
  for (const Mount& mount : spec.mounts) {
    struct stat st;
    if (mount.type == MountType::bind && ::stat(mount.source.c_str(), &st) < 0)
      util::throw_errno(util::cat("bind mount source ", util::quote(mount.source)));
  }
}

// What `inspect` shows as Config.Entrypoint/Cmd/Labels (Docker keeps them apart from the
// merged argv the runtime uses).
nlohmann::json requested_config(const image::ImageConfig& config, const RunRequest& request) {
  nlohmann::json entrypoint = nullptr;
  if (request.entrypoint)
    entrypoint = request.entrypoint->empty() ? nlohmann::json::array()
                                             : nlohmann::json::array({*request.entrypoint});
  else if (config.entrypoint)
    entrypoint = *config.entrypoint;
  nlohmann::json cmd = nullptr;
  if (!request.command.empty())
    cmd = request.command;
  else if (!request.entrypoint && config.cmd)
    cmd = *config.cmd;
  return {{"entrypoint", entrypoint}, {"cmd", cmd}, {"labels", config.labels}};
}

// Removes a --rm container at scope exit, with its anonymous volumes as Docker does; runs from a
// destructor, so it logs instead of throwing.
void remove_container(storage::Store& store, const storage::ContainerRecord& record) noexcept {
  try {
    store.containers().remove(record);
    storage::VolumeStore volumes(store.root());
    remove_anonymous_volumes(volumes, store.containers(), record);
  } catch (const std::exception& e) {
    util::log::warning("remove container ", record.id, ": ", e.what());
  }
}

// Starts the prepared container and waits for it in the foreground; returns the wait status.
int start_and_wait(storage::Store& store, storage::ContainerRecord& record,
                   PreparedStart& prepared) {
  util::UniqueFd null_stdin;
  if (!prepared.pty && !prepared.spec.stdin_open) {
    null_stdin.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_stdin)
      util::throw_errno("open \"/dev/null\"");
    prepared.plan.stdin_fd = null_stdin.get();
  }
  SignalFd signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH});
  ContainerProcess process = launch(prepared);
  null_stdin.reset();
  ContainerState state = state_of(record);
  state.status = Status::running;
  state.process = {process.pid(), process_start_time(process.pid()).value_or(0)};
  state.monitor = self_process_id();
  state.started_at = image::now_rfc3339();
  state.detached = false;
  set_freezer(state, prepared);
  save_state(store.containers(), record, state);
  ForegroundIo io;
  io.terminal = own_terminal();
  std::optional<RawMode> raw;
  if (prepared.pty) {
    prepared.pty->close_slave();
    io.pty = &*prepared.pty;
    io.forward_stdin = prepared.spec.stdin_open;
    if (prepared.spec.stdin_open)
      raw.emplace(STDIN_FILENO);
  }
  return wait_foreground(process, signals, io).value(); // no detach keys: it waits for the exit
}

// How a record is first written: `run` starts the container at once and syncs the record then
// (with the running state), so its create needs no fsync of its own; `create` must sync it.
enum class CreateFor { later_start, immediate_start };

storage::ContainerRecord create_container(storage::Store& store, const RunRequest& request,
                                          CreateFor purpose) {
  storage::ImageRecord image =
      request.local_image
          ? request.local_image->record
          : registry::ensure_image(store, request.image, request.pull, request.pull_options);
  image::ImageConfig config = request.local_image
                                  ? request.local_image->config
                                  : image::ImageConfig::from_json(store.blobs().read(image.id));
  // The record is complete before it is written, once (and fsynced once): a container
  // directory appears with its whole configuration or not at all.
  storage::ContainerRecord draft{storage::ContainerStore::new_id(),
                                 request.name,
                                 record_image_name(request.image),
                                 image.id,
                                 std::string(), // created: now, by create()
                                 std::string(), // driver: chosen at start
                                 nlohmann::json::object(),
                                 nlohmann::json::object(),
                                 request.rm,
                                 request.restart.str(),
                                 request.init};
  ContainerSpec spec =
      make_spec(config, request, draft.id, read_env_files(request.env_files), caller_env);
  check_bind_sources(spec);
  ContainerState state;
  state.stop_signal = config.stop_signal.empty() ? "SIGTERM" : config.stop_signal;
  parse_signal(state.stop_signal);
  storage::VolumeStore volumes(store.root());
  std::exception_ptr failure;
  {
    // Held until the record names its volumes, so none is removed as unused meanwhile.
    util::FileLock volumes_lock = volumes.lock();
    attach_volumes(volumes, volumes_lock, spec);
    draft.spec = spec.to_json();
    draft.spec["config"] = requested_config(config, request);
    draft.state = state.to_json();
    try {
      if (purpose == CreateFor::immediate_start)
        return store.containers().create(draft, util::Durability::process_safe);
      return store.containers().create(draft);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  // No record names the anonymous volumes just made (the name was taken, say): they go, once
  // the lock above is released (remove_anonymous_volumes takes it itself).
  remove_anonymous_volumes(volumes, store.containers(), draft);
  std::rethrow_exception(failure);
}

// A start that failed leaves a created container (as Docker's): its record, written without
// fsync by create_container, is synced now.
void keep_created(storage::Store& store, const storage::ContainerRecord& record) noexcept {
  if (record.auto_remove)
    return;
  try {
    store.containers().sync(record);
  } catch (const std::exception& e) {
    util::log::warning("container ", record.id, ": ", e.what());
  }
}

int start_foreground(storage::Store& store, const RuntimeOptions& options,
                     storage::ContainerRecord& record, std::unique_ptr<NetnsAhead> netns,
                     CreateFor created_for) {
  util::ScopeExit remove_guard([&] {
    if (record.auto_remove)
      remove_container(store, record);
  });
  int status;
  try {
    PreparedStart prepared =
        prepare_start(store, options, record, own_terminal(), std::move(netns));
    record.driver = std::string(to_string(prepared.rootfs.driver()));
    status = start_and_wait(store, record, prepared); // its running record is synced
  } catch (...) {
    if (created_for == CreateFor::immediate_start)
      keep_created(store, record);
    throw;
  }
  int code = exit_code(status);
  LOG_DEBUG("container ", record.id, " ", util::describe_status(status));
  if (!record.auto_remove) {
    ContainerState state = state_of(record);
    state.status = Status::exited;
    state.exit_code = code;
    state.finished_at = image::now_rfc3339();
    save_state(store.containers(), record, state);
  }
  return code;
}

} // namespace

void find_local_image(const std::filesystem::path& storage_root, RunRequest& request) {
  std::optional<storage::ImageRecord> record =
      registry::local_choice(storage::ImageIndex(storage_root), request.image, request.pull);
  if (!record)
    return;
  std::string config = storage::BlobStore(storage_root).read(record->id);
  request.local_image = LocalImage{std::move(*record), image::ImageConfig::from_json(config)};
}

storage::ContainerRecord create(storage::Store& store, const RunRequest& request) {
  return create_container(store, request, CreateFor::later_start);
}

int start_foreground(storage::Store& store, const RuntimeOptions& options,
                     storage::ContainerRecord& record) {
  return start_foreground(store, options, record, nullptr, CreateFor::later_start);
}

// The slirp4netns namespace is made while the container is created (another core's work).
int run(storage::Store& store, const RuntimeOptions& options, const RunRequest& request) {
  std::unique_ptr<NetnsAhead> netns = make_netns_ahead(request.network);
  storage::ContainerRecord record = create_container(store, request, CreateFor::immediate_start);
  return start_foreground(store, options, record, std::move(netns), CreateFor::immediate_start);
}

std::string run_detached(storage::Store& store, const RuntimeOptions& options,
                         const RunRequest& request) {
  std::unique_ptr<NetnsAhead> netns = make_netns_ahead(request.network);
  storage::ContainerRecord record = create_container(store, request, CreateFor::immediate_start);
  try {
    start_detached(store, options, record, std::move(netns)); // the monitor syncs the record
  } catch (...) {
    if (record.auto_remove)
      remove_container(store, record);
    else
      keep_created(store, record);
    throw;
  }
  return record.id;
}

} // namespace runtime
