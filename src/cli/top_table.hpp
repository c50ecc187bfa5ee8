// What `cove top` prints, from the host's ps output: Docker's way of keeping only the
// container's processes (rows whose PID column is one of them, plus the thread rows "-" that
// follow one with ps's m option) and its table layout. Pure.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace cli {

// Titles and the kept rows; the last column of a row holds the rest of the line (the command).
struct ProcessTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> rows;
};

// Parses ps output (header line first) and keeps the rows of `pids`. Throws util::Error when
// the output has no PID column or a PID is not a number.
ProcessTable filter_ps_output(std::string_view output, const std::vector<pid_t>& pids);

// The table as Docker's CLI prints it: columns padded to at least 20 characters and 3 more than
// their widest cell, the last column as is.
std::string format_process_table(const ProcessTable& table);

} // namespace cli
