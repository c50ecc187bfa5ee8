// DynamicLibrary: a shared library loaded on first use.
//
// libcurl and libarchive drag about forty libraries (TLS stacks, Kerberos, LDAP, ICU, ...) into
// every process that links them, and mapping and relocating those costs several milliseconds and
// megabytes before main() runs. Most cove invocations (run with a local image, ps, rm...) never
// touch the network or a tar, so those two are loaded with dlopen when first needed instead.
// Symbols are typed with decltype of the real prototypes, so calls stay compiler-checked.
#pragma once

#include <string>

namespace util {

class DynamicLibrary {
public:
  // dlopen(soname, RTLD_NOW|RTLD_LOCAL); throws util::Error naming the library and the Debian
  // package that provides it.
  DynamicLibrary(const char* soname, const char* package);
  // The library stays loaded for the life of the process: libraries that start threads or
  // register exit handlers are not safe to unload.
  ~DynamicLibrary() = default;
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  // The address of `name` cast to the function pointer type F; throws util::Error if absent.
  template <typename F> F function(const char* name) const {
    return reinterpret_cast<F>(lookup(name));
  }

private:
  void* lookup(const char* name) const;
  void* m_handle = nullptr;
  std::string m_soname;
};

} // namespace util
