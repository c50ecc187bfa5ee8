// Entering cove's user and mount namespaces in two steps, so that work which needs neither (the
// image lookup of `run`, say) overlaps the setuid helpers that write the id maps.
#pragma once

#include "userns/id_map.hpp"
#include "util/fd.hpp"
#include "util/subprocess.hpp"

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

namespace userns {

class Entering {
public:
  // Rootless and not yet inside cove's namespaces (the COVE_USERNS marker absent, or naming
  // another mount namespace): clones a placeholder process into new user and mount namespaces
  // and starts writing its id maps (newuidmap/newgidmap from /etc/subuid and /etc/subgid, else a
  // single mapping with setgroups=deny and one warning). This process stays where it is, with
  // its own ids, until finish(). Inside, or as real root, nothing is started.
  // Call before starting any thread. Throws util::Error with an actionable message when user
  // namespaces are unavailable or the helpers are refused.
  static Entering start();

  // Rootless: waits for the maps, joins the placeholder's namespaces (keeping the working
  // directory), becomes uid/gid 0 in them and sets COVE_USERNS=<mount namespace inode>,
  // inherited by the cove processes it starts, which then stay in these namespaces. As real
  // root: unshares a mount namespace. In every case the mount namespace is made private
  // (MS_REC|MS_PRIVATE). Single-threaded callers only. Throws util::Error.
  void finish();

  Entering(Entering&&) noexcept;
  Entering& operator=(Entering&&) = delete;
  // Unfinished: the helpers are killed and the placeholder ended, all reaped; this process is
  // left outside, as before start().
  ~Entering();

private:
  enum class Kind { inside, real_root, rootless, done };
  struct Pending;
  explicit Entering(Kind kind);

  Kind m_kind;
  std::unique_ptr<Pending> m_pending;
};

} // namespace userns
