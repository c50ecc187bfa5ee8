#include "runtime/mount_plan.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>

#include <algorithm>
#include <string>
#include <vector>

using runtime::MountKind;
using runtime::MountOp;
using runtime::MountPoint;

TEST_SUITE_BEGIN("runtime");

namespace {

runtime::MountInputs inputs(std::string console = "") {
  return {"/store/containers/abc/merged", "/store/containers/abc/userdata", std::move(console)};
}

runtime::ContainerSpec spec_with(std::string network) {
  runtime::ContainerSpec spec;
  spec.args = {"sh"};
  spec.network = std::move(network);
  spec.hostname = "abc";
  return spec;
}

// Index of the first op with this kind and target; -1 when absent.
long find(const runtime::MountPlan& plan, MountKind kind, const std::string& target) {
  auto it = std::find_if(plan.ops.begin(), plan.ops.end(), [&](const MountOp& op) {
    return op.kind == kind && op.target == target;
  });
  return it == plan.ops.end() ? -1 : it - plan.ops.begin();
}

const MountOp& op_at(const runtime::MountPlan& plan, long index) {
  REQUIRE(index >= 0);
  return plan.ops[static_cast<size_t>(index)];
}

} // namespace

TEST_CASE("make_mount_plan: the rootfs self-bind comes first, then proc and /dev in order") {
  runtime::MountPlan plan = runtime::make_mount_plan(spec_with("host"), inputs());
  REQUIRE(plan.ops.size() > 5);
  CHECK(plan.ops[0].kind == MountKind::rootfs);
  CHECK(plan.ops[0].source == "/store/containers/abc/merged");
  CHECK(plan.ops[0].flags == (MS_BIND | MS_REC));

  long proc = find(plan, MountKind::mount, "/proc");
  long dev = find(plan, MountKind::mount, "/dev");
  long null = find(plan, MountKind::bind, "/dev/null");
  long pts = find(plan, MountKind::mount, "/dev/pts");
  long ptmx = find(plan, MountKind::symlink, "/dev/ptmx");
  long shm = find(plan, MountKind::mount, "/dev/shm");
  long mqueue = find(plan, MountKind::mount, "/dev/mqueue");
  CHECK(proc == 1);
  CHECK(dev > proc);
  CHECK(null > dev);
  CHECK(pts > null);
  CHECK(ptmx > pts);
  CHECK(shm > dev);
  CHECK(mqueue > dev);

  CHECK(op_at(plan, proc).fstype == "proc");
  CHECK(op_at(plan, proc).flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC));
  CHECK(op_at(plan, dev).fstype == "tmpfs");
  CHECK(op_at(plan, dev).data == "mode=755,size=65536k");
  CHECK((op_at(plan, dev).flags & MS_NOSUID) != 0);
  CHECK(op_at(plan, null).source == "/dev/null");
  CHECK(op_at(plan, null).create == MountPoint::file);
  CHECK(op_at(plan, pts).data.find("newinstance,ptmxmode=0666,mode=0620") == 0);
  CHECK(op_at(plan, pts).fallback_data == "newinstance,ptmxmode=0666,mode=0620");
  CHECK(op_at(plan, ptmx).source == "pts/ptmx");
  CHECK(op_at(plan, shm).data == "mode=1777,size=65536k");
  for (const char* device : {"/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
    CHECK(find(plan, MountKind::bind, device) > dev);
}

TEST_CASE("make_mount_plan: /sys depends on the network namespace") {
  SUBCASE("network none: a fresh read-only sysfs") {
    runtime::MountPlan plan = runtime::make_mount_plan(spec_with("none"), inputs());
    const MountOp& sys = op_at(plan, find(plan, MountKind::mount, "/sys"));
    CHECK(sys.fstype == "sysfs");
    CHECK((sys.flags & MS_RDONLY) != 0);
    CHECK(find(plan, MountKind::bind, "/sys") == -1);
  }
  SUBCASE("network host: a recursive bind of the host's /sys, then read-only recursively") {
    runtime::MountPlan plan = runtime::make_mount_plan(spec_with("host"), inputs());
    CHECK(find(plan, MountKind::mount, "/sys") == -1);
    long bind = find(plan, MountKind::bind, "/sys");
    long ro = find(plan, MountKind::read_only, "/sys");
    CHECK(op_at(plan, bind).source == "/sys");
    CHECK(op_at(plan, bind).flags == (MS_BIND | MS_REC));
    CHECK(ro == bind + 1);
    CHECK(op_at(plan, ro).recursive);
  }
}

TEST_CASE("make_mount_plan: generated etc files are bound over the image's") {
  runtime::MountPlan plan = runtime::make_mount_plan(spec_with("host"), inputs());
  for (std::string name : {"hosts", "hostname", "resolv.conf"}) {
    const MountOp& op = op_at(plan, find(plan, MountKind::bind, "/etc/" + name));
    CHECK(op.source == "/store/containers/abc/userdata/" + name);
    CHECK(op.create == MountPoint::file);
  }
}

TEST_CASE("make_mount_plan: /dev/console only with a terminal") {
  CHECK(find(runtime::make_mount_plan(spec_with("host"), inputs()), MountKind::bind,
             "/dev/console") == -1);
  runtime::MountPlan plan = runtime::make_mount_plan(spec_with("host"), inputs("/dev/pts/7"));
  const MountOp& console = op_at(plan, find(plan, MountKind::bind, "/dev/console"));
  CHECK(console.source == "/dev/pts/7");
  CHECK(console.create == MountPoint::file);
}

TEST_CASE("make_mount_plan: volumes come after the system mounts; ro adds a recursive remount") {
  runtime::ContainerSpec spec = spec_with("none");
  spec.mounts = {{"/home/u/data", "/data", false}, {"/home/u/conf", "/etc/app", true}};
  runtime::MountPlan plan = runtime::make_mount_plan(spec, inputs());
  long data = find(plan, MountKind::bind, "/data");
  long conf = find(plan, MountKind::bind, "/etc/app");
  CHECK(data > find(plan, MountKind::bind, "/etc/resolv.conf"));
  CHECK(conf > data);
  CHECK(op_at(plan, data).flags == (MS_BIND | MS_REC));
  CHECK(op_at(plan, data).create == MountPoint::like_source);
  CHECK(find(plan, MountKind::read_only, "/data") == -1);
  long conf_ro = find(plan, MountKind::read_only, "/etc/app");
  CHECK(conf_ro == conf + 1);
  CHECK(op_at(plan, conf_ro).recursive);
}

TEST_CASE("make_mount_plan: --read-only remounts only the rootfs, last") {
  runtime::ContainerSpec spec = spec_with("host");
  spec.mounts = {{"/home/u/data", "/data", false}};
  CHECK(find(runtime::make_mount_plan(spec, inputs()), MountKind::read_only, "/") == -1);
  spec.read_only = true;
  runtime::MountPlan plan = runtime::make_mount_plan(spec, inputs());
  REQUIRE_FALSE(plan.ops.empty());
  const MountOp& last = plan.ops.back();
  CHECK(last.kind == MountKind::read_only);
  CHECK(last.target == "/");
  CHECK_FALSE(last.recursive);
}

TEST_CASE("make_mount_plan: volumes bind their data directory, tmpfs mounts are filesystems") {
  runtime::ContainerSpec spec = spec_with("none");
  runtime::Mount volume;
  volume.type = runtime::MountType::volume;
  volume.source = "data";
  volume.destination = "/data";
  volume.host_path = "/store/volumes/data/_data";
  volume.read_only = true;
  runtime::Mount tmpfs;
  tmpfs.type = runtime::MountType::tmpfs;
  tmpfs.destination = "/run";
  tmpfs.options = "size=1m,exec";
  spec.mounts = {volume, tmpfs};
  runtime::MountPlan plan = runtime::make_mount_plan(spec, inputs());
  const MountOp& bind = op_at(plan, find(plan, MountKind::bind, "/data"));
  CHECK(bind.source == "/store/volumes/data/_data");
  CHECK(bind.create == MountPoint::dir);
  CHECK(find(plan, MountKind::read_only, "/data") == find(plan, MountKind::bind, "/data") + 1);
  const MountOp& run = op_at(plan, find(plan, MountKind::mount, "/run"));
  CHECK(run.fstype == "tmpfs");
  CHECK(run.data == "size=1m");
  CHECK(run.flags == (MS_NOSUID | MS_NODEV));
  CHECK(run.create == MountPoint::dir);
}

TEST_SUITE_END();
