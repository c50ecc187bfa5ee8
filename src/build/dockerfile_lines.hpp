// Internal to the Dockerfile parser: physical lines -> logical lines (directives, continuations,
// comments, here-documents).
#pragma once
#include "build/dockerfile.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace build::detail {

// One instruction's text with continuations joined, and the here-documents that followed it.
struct LogicalLine {
  int line = 0;
  std::string text;
  std::vector<Heredoc> heredocs;
};

// The result of the line pass: parser directives and the logical lines after them.
struct Lines {
  char escape = '\\';
  std::vector<std::string> notes;
  std::vector<LogicalLine> lines;
};

// Splits `text` into logical lines; errors are prefixed "<file>:<line>: ".
Lines read_lines(std::string_view text, std::string_view file);

// The heredoc markers (`<<EOF`, `<<-"EOF"`) in an instruction's argument text, bodies empty.
std::vector<Heredoc> heredoc_markers(std::string_view args, char escape);

// Throws util::Error("<file>:<line>: <message>").
[[noreturn]] void fail_at(std::string_view file, int line, std::string_view message);

} // namespace build::detail
