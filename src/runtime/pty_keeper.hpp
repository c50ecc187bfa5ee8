// Keeping a detached `exec -it` command's terminal alive. Its pty master is cove's; when cove
// exits the master closes, the kernel hangs the terminal up and the command gets SIGHUP. After
// the user typed the detach keys, a small process of cove's keeps the master open instead.
#pragma once

namespace runtime {

// Forks a process in a session of its own, with stdio on /dev/null, that holds `master` and
// discards what the command writes until every slave descriptor is closed (the command and its
// children are gone), then exits. Throws util::SystemError when it cannot fork.
void keep_pty_open(int master);

} // namespace runtime
