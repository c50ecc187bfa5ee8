#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>

namespace util {

namespace {
std::string errno_message(int err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return msg;
}
} // namespace

SystemError::SystemError(int err, std::string_view what)
    : Error(errno_message(err, what)), m_errno(err) {}

void throw_errno(std::string_view what) {
  throw SystemError(errno, what);
}

void throw_errno(int err, std::string_view what) {
  throw SystemError(err, what);
}

void rethrow_with_context(std::string_view context) {
  std::string prefix(context);
  prefix += ": ";
  try {
    throw;
  } catch (const SystemError& e) {
    throw SystemError(e.code(), prefix + e.what(), SystemError::Formatted{});
  } catch (const std::filesystem::filesystem_error& e) {
    throw SystemError(e.code().value(), prefix + e.what(), SystemError::Formatted{});
  } catch (const std::exception& e) {
    throw Error(prefix + e.what());
  }
}

} // namespace util
