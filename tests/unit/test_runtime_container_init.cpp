#include "runtime/container_init.hpp"
#include "runtime/container_state.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>

TEST_SUITE_BEGIN("runtime");

TEST_CASE("add_init puts cove-init in front of the command, bound read-only on /dev/init") {
  runtime::ChildPlan plan;
  plan.args = {"sh", "-c", "exit 3"};
  runtime::MountOp existing;
  existing.target = "/proc";
  plan.mounts.ops.push_back(existing);
  runtime::add_init(plan, "/opt/cove/bin/cove-init");
  CHECK(plan.args == std::vector<std::string>{"/dev/init", "--", "sh", "-c", "exit 3"});
  REQUIRE(plan.mounts.ops.size() == 3);
  const runtime::MountOp& bind = plan.mounts.ops[1];
  CHECK(bind.kind == runtime::MountKind::bind);
  CHECK(bind.source == "/opt/cove/bin/cove-init");
  CHECK(bind.target == "/dev/init");
  CHECK(bind.flags == MS_BIND);
  CHECK(bind.create == runtime::MountPoint::file);
  CHECK(plan.mounts.ops[2].kind == runtime::MountKind::read_only);
  CHECK(plan.mounts.ops[2].target == "/dev/init");
}

TEST_CASE("restart and pause states: status words, STATUS text and round trip") {
  runtime::ContainerState state;
  state.status = runtime::Status::running;
  CHECK(runtime::status_word(state) == "running");
  state.paused = true;
  CHECK(runtime::status_word(state) == "paused");
  CHECK(runtime::status_text(state, 0).find("(Paused)") != std::string::npos);
  state.paused = false;
  state.restarting = true;
  state.exit_code = 2;
  state.restart_count = 4;
  state.freezer = "/sys/fs/cgroup/freezer/cove/x";
  CHECK(runtime::status_word(state) == "restarting");
  CHECK(runtime::status_text(state, 0).rfind("Restarting (2) ", 0) == 0);
  runtime::ContainerState back = runtime::ContainerState::from_json(state.to_json());
  CHECK(back.restarting);
  CHECK(back.restart_count == 4);
  CHECK(back.freezer == state.freezer);
  CHECK_FALSE(back.paused); // read from the freezer, never stored
}

TEST_CASE("a restarting record whose monitor died keeps its last exit code") {
  runtime::ContainerState state;
  state.status = runtime::Status::running;
  state.restarting = true;
  state.exit_code = 2;
  state.finished_at = "2026-01-01T00:00:00Z";
  CHECK_FALSE(runtime::reconcile(state, false, true, "now"));
  auto fixed = runtime::reconcile(state, false, false, "now");
  REQUIRE(fixed);
  CHECK(fixed->status == runtime::Status::exited);
  CHECK_FALSE(fixed->restarting);
  CHECK(fixed->exit_code == 2);
  CHECK(fixed->finished_at == "2026-01-01T00:00:00Z");
}

TEST_SUITE_END();
