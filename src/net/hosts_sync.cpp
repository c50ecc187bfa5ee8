#include "net/hosts_sync.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

namespace net {

namespace {

constexpr std::string_view marker = "# cove: containers on the same networks\n";

// Truncates and rewrites `path` through the same inode: a rename would leave the container's
// bind mount on the old file.
void rewrite_in_place(const std::filesystem::path& path, std::string_view text) {
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(path.string())));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    util::check(n, util::cat("write ", util::quote(path.string())));
    done += static_cast<size_t>(n);
  }
}

} // namespace

std::string hosts_with_peers(std::string_view current, const std::vector<HostsPeer>& peers) {
  size_t at = current.find(marker);
  std::string text(current.substr(0, at));
  if (!text.empty() && text.back() != '\n')
    text += '\n';
  text += marker;
  std::set<std::string> listed;
  for (const HostsPeer& peer : peers) {
    std::vector<std::string> names;
    for (const std::string& name : peer.names)
      if (!name.empty() && listed.insert(name).second)
        names.push_back(name);
    if (!names.empty())
      text += util::cat(peer.address.str(), "\t", util::join(names, " "), "\n");
  }
  return text;
}

std::vector<HostsPeer> peers_of(std::string_view container_id,
                                const std::vector<NetworkRecord>& records) {
  std::vector<HostsPeer> own;
  std::vector<HostsPeer> others;
  for (const NetworkRecord& record : records) {
    bool member = std::any_of(record.endpoints.begin(), record.endpoints.end(),
                              [&](const Endpoint& e) { return e.container_id == container_id; });
    if (!member)
      continue;
    for (const Endpoint& e : record.endpoints) {
      HostsPeer peer{e.address, {e.container_name}};
      peer.names.insert(peer.names.end(), e.aliases.begin(), e.aliases.end());
      (e.container_id == container_id ? own : others).push_back(std::move(peer));
    }
  }
  own.insert(own.end(), others.begin(), others.end());
  return own;
}

void sync_hosts(const std::vector<NetworkRecord>& records) noexcept {
  std::set<std::string> done;
  for (const NetworkRecord& record : records) {
    for (const Endpoint& e : record.endpoints) {
      if (e.hosts_file.empty() || !done.insert(e.container_id).second)
        continue;
      try {
        std::string current = util::read_file(e.hosts_file);
        rewrite_in_place(e.hosts_file, hosts_with_peers(current, peers_of(e.container_id, records)));
      } catch (const std::exception& error) {
        util::log::warning("update the hosts file of container ", e.container_name, ": ",
                           error.what());
      }
    }
  }
}

} // namespace net
