// ScopeExit: runs a callable when the scope ends, unless dismissed. No allocation.
#pragma once

#include <utility>

namespace util {

template <typename F> class ScopeExit {
public:
  explicit ScopeExit(F fn) noexcept : m_fn(std::move(fn)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (m_active)
      m_fn();
  }
  // The callable will not run.
  void dismiss() noexcept { m_active = false; }

private:
  F m_fn;
  bool m_active = true;
};

} // namespace util
