#include "runtime/detach_keys.hpp"

namespace runtime {

std::string DetachKeys::feed(std::string_view input) {
  std::string out;
  for (char c : input) {
    if (m_detached)
      break;
    if (c == m_sequence[m_matched]) {
      if (++m_matched == m_sequence.size())
        m_detached = true;
      continue;
    }
    out.append(m_sequence, 0, m_matched); // not the sequence after all: the held keys go on
    m_matched = c == m_sequence[0] ? 1 : 0;
    if (m_matched == 0)
      out += c;
  }
  return out;
}

} // namespace runtime
