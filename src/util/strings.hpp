// String helpers with no domain knowledge.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace util {

// Concatenates any streamable values: cat("pull ", ref, ": ", n, " layers").
template <typename... Args> std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// Splits on every occurrence of sep; "a::b" with ':' gives {"a", "", "b"}.
std::vector<std::string> split(std::string_view text, char sep);

// Joins parts with sep between them.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Removes leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

// ASCII lower-case copy.
std::string to_lower(std::string_view text);

// Quotes a string for error messages: "abc" -> "\"abc\"", non-printables escaped.
std::string quote(std::string_view text);

// Parses a non-negative decimal integer that must fit; nullopt-like failure throws util::Error
// naming `what` and the text.
unsigned long long parse_unsigned(std::string_view text, std::string_view what);

// Human-readable size the way Docker prints it: "4.26MB", "1.2GB", "512B" (SI units).
std::string human_size(unsigned long long bytes);

// Human-readable duration ago: "5 seconds ago", "2 minutes ago", "3 days ago" (Docker's units).
std::string human_duration(long long seconds);

} // namespace util
