#include "runtime/detach_keys.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

namespace runtime {

namespace {

// ctrl-@ is 0, ctrl-a..ctrl-z are 1..26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_ (27..31).
constexpr std::string_view control_keys = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

char parse_key(std::string_view key, std::string_view spec) {
  if (key.size() == 1)
    return key[0];
  constexpr std::string_view prefix = "ctrl-";
  if (key.size() == prefix.size() + 1 && key.substr(0, prefix.size()) == prefix) {
    size_t code = control_keys.find(key.back());
    if (code != std::string_view::npos)
      return static_cast<char>(code);
  }
  throw util::Error(util::cat("invalid detach keys ", util::quote(spec), ": unknown key ",
                              util::quote(key),
                              " (a single character, or ctrl- and one of a-z @ [ \\ ] ^ _)"));
}

} // namespace

DetachKeys DetachKeys::parse(std::string_view spec) {
  std::string sequence;
  if (spec.empty())
    return DetachKeys(sequence);
  for (const std::string& key : util::split(spec, ','))
    sequence += parse_key(key, spec);
  return DetachKeys(sequence);
}

std::string DetachScanner::feed(std::string_view input) {
  std::string out;
  if (m_sequence.empty())
    return m_detached ? out : std::string(input);
  for (char c : input) {
    if (m_detached)
      break;
    if (c == m_sequence[m_matched]) {
      if (++m_matched == m_sequence.size())
        m_detached = true;
      continue;
    }
    // Not the sequence after all: the longest end of the held keys plus this one that still
    // starts the sequence stays held (for "ab" typed as "aab"), the rest goes on.
    std::string held = m_sequence.substr(0, m_matched) + c;
    size_t keep = held.size() - 1;
    while (keep > 0 && held.compare(held.size() - keep, keep, m_sequence, 0, keep) != 0)
      --keep;
    out.append(held, 0, held.size() - keep);
    m_matched = keep;
  }
  return out;
}

} // namespace runtime
