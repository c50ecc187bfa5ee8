// The libarchive functions cove uses to read layer tars, loaded on first use (see
// util/dynlib.hpp for why).
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace storage {

struct ArchiveApi {
  decltype(&::archive_entry_atime) entry_atime;
  decltype(&::archive_entry_atime_is_set) entry_atime_is_set;
  decltype(&::archive_entry_atime_nsec) entry_atime_nsec;
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_gid) entry_gid;
  decltype(&::archive_entry_hardlink) entry_hardlink;
  decltype(&::archive_entry_mtime) entry_mtime;
  decltype(&::archive_entry_mtime_is_set) entry_mtime_is_set;
  decltype(&::archive_entry_mtime_nsec) entry_mtime_nsec;
  decltype(&::archive_entry_pathname) entry_pathname;
  decltype(&::archive_entry_perm) entry_perm;
  decltype(&::archive_entry_rdev) entry_rdev;
  decltype(&::archive_entry_size) entry_size;
  decltype(&::archive_entry_size_is_set) entry_size_is_set;
  decltype(&::archive_entry_symlink) entry_symlink;
  decltype(&::archive_entry_uid) entry_uid;
  decltype(&::archive_entry_xattr_count) entry_xattr_count;
  decltype(&::archive_entry_xattr_next) entry_xattr_next;
  decltype(&::archive_entry_xattr_reset) entry_xattr_reset;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_read_data_block) read_data_block;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_open) read_open;
  decltype(&::archive_read_support_format_tar) read_support_format_tar;
  decltype(&::archive_set_error) set_error;
};

// Loads libarchive.so.13 once per process (thread-safe); throws util::Error if it cannot.
const ArchiveApi& archive_api();

} // namespace storage
