// cove's command-line entry point.
#pragma once

namespace cli {

// Parses argv, dispatches to the command, and returns the process exit code.
int run(int argc, char** argv);

} // namespace cli
