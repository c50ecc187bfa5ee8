#include "runtime/tmpfs_options.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <cctype>

namespace runtime {

namespace {

struct FlagWord {
  std::string_view word;
  unsigned long set;
  unsigned long clear;
};

constexpr FlagWord flag_words[] = {
    {"ro", MS_RDONLY, 0},          {"rw", 0, MS_RDONLY},
    {"noexec", MS_NOEXEC, 0},      {"exec", 0, MS_NOEXEC},
    {"nosuid", MS_NOSUID, 0},      {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
    {"sync", MS_SYNCHRONOUS, 0},   {"async", 0, MS_SYNCHRONOUS},
    {"noatime", MS_NOATIME, 0},    {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0}, {"diratime", 0, MS_NODIRATIME},
    {"relatime", MS_RELATIME, 0},  {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, 0},
};

bool all_of(std::string_view text, int (*pred)(int)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [pred](char c) {
    return pred(static_cast<unsigned char>(c)) != 0;
  });
}

// Digits with an optional unit suffix among `suffixes`.
bool is_amount(std::string_view value, std::string_view suffixes) {
  if (!value.empty() && suffixes.find(value.back()) != std::string_view::npos)
    value.remove_suffix(1);
  return all_of(value, ::isdigit);
}

bool is_octal(std::string_view value) {
  return !value.empty() && value.size() <= 4 &&
         value.find_first_not_of("01234567") == std::string_view::npos;
}

bool valid_value(std::string_view key, std::string_view value) {
  if (key == "size")
    return is_amount(value, "kKmMgG%");
  if (key == "nr_inodes" || key == "nr_blocks")
    return is_amount(value, "kKmMgG");
  if (key == "mode")
    return is_octal(value);
  if (key == "uid" || key == "gid")
    return all_of(value, ::isdigit);
  return false;
}

} // namespace

TmpfsOptions parse_tmpfs_options(std::string_view text) {
  TmpfsOptions out;
  out.flags = MS_NOEXEC | MS_NOSUID | MS_NODEV;
  std::vector<std::string> data;
  for (const std::string& option : util::split(text, ',')) {
    if (option.empty())
      continue;
    auto word = std::find_if(std::begin(flag_words), std::end(flag_words),
                             [&](const FlagWord& w) { return w.word == option; });
    if (word != std::end(flag_words)) {
      out.flags = (out.flags & ~word->clear) | word->set;
      continue;
    }
    size_t eq = option.find('=');
    std::string_view key = std::string_view(option).substr(0, eq);
    std::string_view value =
        eq == std::string::npos ? std::string_view() : std::string_view(option).substr(eq + 1);
    if (eq == std::string::npos || !valid_value(key, value))
      throw util::Error(util::cat("invalid tmpfs option ", util::quote(option)));
    // A later value of the same key wins.
    std::erase_if(data, [&](const std::string& d) { return d.compare(0, key.size() + 1, util::cat(key, '=')) == 0; });
    data.push_back(option);
  }
  out.data = util::join(data, ",");
  return out;
}

} // namespace runtime
