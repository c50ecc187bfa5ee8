#include "util/dynlib.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <dlfcn.h>

namespace util {

DynamicLibrary::DynamicLibrary(const char* soname, const char* package) : m_soname(soname) {
  m_handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (m_handle == nullptr) {
    const char* why = ::dlerror();
    throw Error(cat("load ", soname, ": ", why != nullptr ? why : "unknown error",
                    " (install the Debian package ", package, ")"));
  }
}

void* DynamicLibrary::lookup(const char* name) const {
  ::dlerror();
  void* address = ::dlsym(m_handle, name);
  if (address == nullptr)
    throw Error(cat("load ", m_soname, ": symbol ", name, " not found"));
  return address;
}

} // namespace util
