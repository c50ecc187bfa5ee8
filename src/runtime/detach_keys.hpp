// Detach keys (`--detach-keys`, Docker's syntax): a sequence of keys that, typed into an attached
// terminal or stdin, ends the attachment and leaves the container running. Parsing and matching
// are pure.
#pragma once

#include <string>
#include <string_view>

namespace runtime {

// A parsed --detach-keys value: the bytes to watch for, empty when detaching is disabled.
class DetachKeys {
public:
  // Ctrl-P Ctrl-Q, Docker's and podman's default.
  DetachKeys() : m_sequence("\x10\x11") {}

  // Parses Docker's form: comma-separated keys, each a single character or ctrl-<key> with <key>
  // one of a-z @ [ \ ] ^ _ (e.g. "ctrl-p,ctrl-q", "ctrl-x", "a,b"); "" disables detaching.
  // Throws util::Error quoting the spec and the bad key.
  static DetachKeys parse(std::string_view spec);

  // The bytes of the sequence ("" when disabled).
  const std::string& sequence() const noexcept { return m_sequence; }
  bool enabled() const noexcept { return !m_sequence.empty(); }

private:
  explicit DetachKeys(std::string sequence) : m_sequence(std::move(sequence)) {}
  std::string m_sequence;
};

// Watches input for the detach keys. Keys that could start the sequence are held back until
// the following keys show whether it completes; otherwise they are passed on.
class DetachScanner {
public:
  explicit DetachScanner(DetachKeys keys = {}) : m_sequence(keys.sequence()) {}

  // The part of `input` to pass to the container; once the sequence is complete, detached() is
  // true and the rest of `input` is dropped.
  std::string feed(std::string_view input);
  // True once the whole sequence was typed.
  bool detached() const noexcept { return m_detached; }

private:
  std::string m_sequence;
  size_t m_matched = 0; // keys of the sequence held back so far
  bool m_detached = false;
};

} // namespace runtime
