#include "storage/archive_api.hpp"

#include "util/dynlib.hpp"

namespace storage {

namespace {
ArchiveApi load() {
  static const util::DynamicLibrary library("libarchive.so.13", "libarchive13");
  ArchiveApi api{};
  api.entry_atime = library.function<decltype(api.entry_atime)>("archive_entry_atime");
  api.entry_atime_is_set = library.function<decltype(api.entry_atime_is_set)>("archive_entry_atime_is_set");
  api.entry_atime_nsec = library.function<decltype(api.entry_atime_nsec)>("archive_entry_atime_nsec");
  api.entry_filetype = library.function<decltype(api.entry_filetype)>("archive_entry_filetype");
  api.entry_gid = library.function<decltype(api.entry_gid)>("archive_entry_gid");
  api.entry_hardlink = library.function<decltype(api.entry_hardlink)>("archive_entry_hardlink");
  api.entry_mtime = library.function<decltype(api.entry_mtime)>("archive_entry_mtime");
  api.entry_mtime_is_set = library.function<decltype(api.entry_mtime_is_set)>("archive_entry_mtime_is_set");
  api.entry_mtime_nsec = library.function<decltype(api.entry_mtime_nsec)>("archive_entry_mtime_nsec");
  api.entry_pathname = library.function<decltype(api.entry_pathname)>("archive_entry_pathname");
  api.entry_perm = library.function<decltype(api.entry_perm)>("archive_entry_perm");
  api.entry_rdev = library.function<decltype(api.entry_rdev)>("archive_entry_rdev");
  api.entry_size = library.function<decltype(api.entry_size)>("archive_entry_size");
  api.entry_size_is_set = library.function<decltype(api.entry_size_is_set)>("archive_entry_size_is_set");
  api.entry_symlink = library.function<decltype(api.entry_symlink)>("archive_entry_symlink");
  api.entry_uid = library.function<decltype(api.entry_uid)>("archive_entry_uid");
  api.entry_xattr_count = library.function<decltype(api.entry_xattr_count)>("archive_entry_xattr_count");
  api.entry_xattr_next = library.function<decltype(api.entry_xattr_next)>("archive_entry_xattr_next");
  api.entry_xattr_reset = library.function<decltype(api.entry_xattr_reset)>("archive_entry_xattr_reset");
  api.error_string = library.function<decltype(api.error_string)>("archive_error_string");
  api.read_data_block = library.function<decltype(api.read_data_block)>("archive_read_data_block");
  api.read_free = library.function<decltype(api.read_free)>("archive_read_free");
  api.read_new = library.function<decltype(api.read_new)>("archive_read_new");
  api.read_next_header = library.function<decltype(api.read_next_header)>("archive_read_next_header");
  api.read_open = library.function<decltype(api.read_open)>("archive_read_open");
  api.read_support_format_tar = library.function<decltype(api.read_support_format_tar)>("archive_read_support_format_tar");
  api.set_error = library.function<decltype(api.set_error)>("archive_set_error");
  return api;
}
} // namespace

const ArchiveApi& archive_api() {
  static const ArchiveApi api = load();
  return api;
}

} // namespace storage
