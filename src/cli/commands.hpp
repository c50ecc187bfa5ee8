// The subcommands. Each add_* registers one command (its options struct, flags and help) on
// `parent`; parsing it sets inv.action, which app.cpp runs once parsing succeeded.
#pragma once

#include "cli/context.hpp"

#include <CLI/CLI.hpp>

#include <string>

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
// build [-t NAME]... [-f FILE] [--build-arg K=V]... [--target S] [--no-cache] [-q] CONTEXT
CLI::App* add_build_command(CLI::App& parent, Invocation& inv);

// Adds --tls-verify[=false] storing into `into` only when given.
void add_tls_verify_flag(CLI::App& cmd, std::optional<bool>& into);

} // namespace cli
