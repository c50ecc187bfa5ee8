// cove network connect|disconnect: a container on user-defined networks joins or leaves one
// more; at once when it runs, and from its next start in any case.
#pragma once

#include "cli/context.hpp"

#include <CLI/CLI.hpp>

namespace cli {

void add_network_connect(CLI::App& network, Invocation& inv);
void add_network_disconnect(CLI::App& network, Invocation& inv);

} // namespace cli
