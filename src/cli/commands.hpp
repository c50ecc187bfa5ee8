// The subcommands. Each add_* registers one command (its options struct, flags and help) on
// `parent`; parsing it sets inv.action, which app.cpp runs once parsing succeeded.
#pragma once

#include "cli/context.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace storage {
class ContainerStore;
}

namespace cli {

// pull [--platform P] [--tls-verify[=false]] [-q] REF
CLI::App* add_pull_command(CLI::App& parent, Invocation& inv);
// images / image ls: [-q] [-a] [--no-trunc] [--format F]
CLI::App* add_images_command(CLI::App& parent, Invocation& inv, const std::string& name);
// rmi / image rm: [-f] [-a] REF...
CLI::App* add_rmi_command(CLI::App& parent, Invocation& inv, const std::string& name);
// inspect / image inspect: [--format F] NAME...
CLI::App* add_inspect_command(CLI::App& parent, Invocation& inv);
// version [--format F]
CLI::App* add_version_command(CLI::App& parent, Invocation& inv);
// info [--format F]
CLI::App* add_info_command(CLI::App& parent, Invocation& inv);
// run [flags] IMAGE [CMD ARG...]
CLI::App* add_run_command(CLI::App& parent, Invocation& inv);
// build [-t NAME]... [-f FILE|-] [--build-arg K=V]... [--target S] [--no-cache] [--platform P]
// [--label K=V]... [--layers[=false]] [--pull P] [--iidfile F] [-q] CONTEXT|-
CLI::App* add_build_command(CLI::App& parent, Invocation& inv);

// ps / container ls: [-a] [-q] [-l] [-n N] [--no-trunc] [--filter F] [--format F]
CLI::App* add_ps_command(CLI::App& parent, Invocation& inv, const std::string& name);
// logs [-f] [-t] [--tail N] [--since T] [--until T] CONTAINER
CLI::App* add_logs_command(CLI::App& parent, Invocation& inv);
// stop [-t SECONDS] CONTAINER...
CLI::App* add_stop_command(CLI::App& parent, Invocation& inv);
// kill [-s SIGNAL] CONTAINER...
CLI::App* add_kill_command(CLI::App& parent, Invocation& inv);
// wait CONTAINER...
CLI::App* add_wait_command(CLI::App& parent, Invocation& inv);
// rm / container rm: [-f] [-v] CONTAINER...
CLI::App* add_rm_command(CLI::App& parent, Invocation& inv, const std::string& name);
// exec [-i] [-t] [-d] [-e K=V] [--env-file F] [-w DIR] [-u USER] CONTAINER COMMAND [ARG...]
CLI::App* add_exec_command(CLI::App& parent, Invocation& inv);
// create [run flags] IMAGE [CMD ARG...]
CLI::App* add_create_command(CLI::App& parent, Invocation& inv);
// start [-a] CONTAINER...
CLI::App* add_start_command(CLI::App& parent, Invocation& inv);
// restart [-t SECONDS] CONTAINER...
CLI::App* add_restart_command(CLI::App& parent, Invocation& inv);
// pause CONTAINER...
CLI::App* add_pause_command(CLI::App& parent, Invocation& inv);
// unpause CONTAINER...
CLI::App* add_unpause_command(CLI::App& parent, Invocation& inv);
// cp [-a] [-L] SRC DEST (CONTAINER:PATH, a host path, or -)
CLI::App* add_cp_command(CLI::App& parent, Invocation& inv);
// diff CONTAINER
CLI::App* add_diff_command(CLI::App& parent, Invocation& inv);
// export [-o FILE] CONTAINER
CLI::App* add_export_command(CLI::App& parent, Invocation& inv);
// save / image save: [-o FILE|DIR] [--format docker-archive|oci-archive|oci-dir] IMAGE...
CLI::App* add_save_command(CLI::App& parent, Invocation& inv);
// commit [-m MSG] [-a AUTHOR] [-c INSTRUCTION]... CONTAINER [IMAGE[:TAG]]
CLI::App* add_commit_command(CLI::App& parent, Invocation& inv);
// attach [--no-stdin] [--sig-proxy[=false]] CONTAINER
CLI::App* add_attach_command(CLI::App& parent, Invocation& inv);
// rename CONTAINER NEW_NAME
CLI::App* add_rename_command(CLI::App& parent, Invocation& inv);
// top CONTAINER [ps OPTIONS]
CLI::App* add_top_command(CLI::App& parent, Invocation& inv);
// port CONTAINER [PRIVATE_PORT[/PROTO]]
CLI::App* add_port_command(CLI::App& parent, Invocation& inv);
// network create|ls|inspect|rm|prune ...
CLI::App* add_network_command(CLI::App& parent, Invocation& inv);
// container prune [-f]
CLI::App* add_prune_command(CLI::App& parent, Invocation& inv);
// container ls|rm|stop|kill|wait|logs|inspect ...
CLI::App* add_container_command(CLI::App& parent, Invocation& inv);
// volume create|ls|inspect|rm|prune
CLI::App* add_volume_command(CLI::App& parent, Invocation& inv);
// Docker's inspect document of the container `name` (id, prefix or name), or nullopt.
std::optional<nlohmann::ordered_json> inspect_container(const storage::ContainerStore& containers,
                                                        const std::string& name);

// Adds --tls-verify[=false] storing into `into` only when given.
void add_tls_verify_flag(CLI::App& cmd, std::optional<bool>& into);

} // namespace cli
