// Docker's detach keys for `attach`: Ctrl-P Ctrl-Q in the input ends the attachment and leaves
// the container running. Keys that start the sequence are held back until the next key shows
// whether it completes; otherwise they are passed on. Pure.
#pragma once

#include <string>
#include <string_view>

namespace runtime {

class DetachKeys {
public:
  // The sequence to watch for (default Ctrl-P Ctrl-Q).
  explicit DetachKeys(std::string sequence = "\x10\x11") : m_sequence(std::move(sequence)) {}

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
