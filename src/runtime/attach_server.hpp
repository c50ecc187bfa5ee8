// The monitor's side of `cove attach` (see attach_socket.hpp): it accepts clients on the
// container's attach socket, sends them the container's output as the monitor reads it, passes
// their input to the container's stdin (a pipe with -i, the pty master with -t) and their window
// size to the pty, and tells them the exit code when a run ends. Everything is non-blocking: a
// client that does not keep up is dropped, and input waits in a bounded buffer while the
// container does not read.
#pragma once

#include "runtime/container_log.hpp"
#include "util/fd.hpp"

#include <poll.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace runtime {

class AttachServer {
public:
  // Listens on containers/<id>/attach.sock in `container_dir`. Ignores SIGPIPE for the monitor
  // (writing to the stdin of a container that exited must fail with EPIPE, not kill it; the
  // container's own dispositions are reset at its start).
  explicit AttachServer(const std::filesystem::path& container_dir);
  AttachServer(const AttachServer&) = delete;
  AttachServer& operator=(const AttachServer&) = delete;
  // Disconnects the clients and removes the socket.
  ~AttachServer();

  // The current run's input descriptor (the stdin pipe or pty master; -1: the container takes
  // no input) and pty master for resizes (-1: no terminal). Borrowed, valid until end_run().
  void begin_run(int input_fd, int tty_fd);
  // Appends the descriptors to watch to `fds`.
  void add_poll_fds(std::vector<pollfd>& fds) const;
  // Acts on what poll(2) reported for them (entries of other descriptors are ignored).
  void handle(const std::vector<pollfd>& fds);
  // Sends output read from the container to every client.
  void broadcast(LogStream stream, std::string_view data);
  // Tells every client the run ended with `exit_code` and disconnects them.
  void end_run(int exit_code);

private:
  void accept_clients();
  // Reads a client's packets; false when it is gone.
  bool serve_client(int fd);
  void write_input();
  std::filesystem::path m_socket_path;
  util::UniqueFd m_listener;
  std::vector<util::UniqueFd> m_clients;
  int m_input_fd = -1;
  int m_tty_fd = -1;
  std::string m_input; // accepted from clients, not yet taken by the container
};

} // namespace runtime
