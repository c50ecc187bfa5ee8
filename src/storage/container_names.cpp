#include "storage/container_names.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>

namespace storage {

namespace {

constexpr std::array<std::string_view, 32> adjectives = {
    "admiring", "agitated", "amazing",  "blissful", "bold",     "brave",    "busy",
    "charming", "clever",   "cool",     "dazzling", "eager",    "elated",   "epic",
    "focused",  "friendly", "gallant",  "gifted",   "happy",    "jolly",    "keen",
    "kind",     "lucid",    "modest",   "nifty",    "peaceful", "quirky",   "relaxed",
    "serene",   "sharp",    "vibrant",  "zealous"};

constexpr std::array<std::string_view, 32> surnames = {
    "archimedes", "babbage",  "bohr",     "curie",    "darwin",   "dijkstra", "einstein",
    "euler",      "faraday",  "fermi",    "galileo",  "gauss",    "hopper",   "hypatia",
    "kepler",     "knuth",    "lamarr",   "lovelace", "maxwell",  "meitner",  "newton",
    "noether",    "pascal",   "pasteur",  "ritchie",  "shannon",  "tesla",    "thompson",
    "torvalds",   "turing",   "wozniak",  "yalow"};

std::uint32_t random_u32() {
  return static_cast<std::uint32_t>(std::stoul(util::random_hex(4), nullptr, 16));
}

bool name_char(char c, bool first) {
  bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

} // namespace

void validate_container_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 253;
  for (size_t i = 0; ok && i < name.size(); ++i)
    ok = name_char(name[i], i == 0);
  if (!ok)
    throw util::Error(util::cat("invalid container name ", util::quote(name),
                                ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
}

bool try_claim_name(const std::filesystem::path& names_dir, const std::string& name,
                    const std::string& id) {
  std::filesystem::path link = names_dir / name;
  if (::symlink(id.c_str(), link.c_str()) == 0)
    return true;
  if (errno == EEXIST)
    return false;
  util::throw_errno(util::cat("claim container name ", util::quote(name)));
}

std::string random_container_name() {
  std::uint32_t r = random_u32();
  return util::cat(adjectives[r % adjectives.size()], "_",
                   surnames[(r / adjectives.size()) % surnames.size()]);
}

std::string claim_generated_name(const std::filesystem::path& names_dir, const std::string& id,
                                 const std::function<bool(const std::string&)>& release_stale) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::string name = random_container_name();
    if (attempt >= 16)
      name += util::cat(random_u32() % 100);
    if (try_claim_name(names_dir, name, id) ||
        (release_stale(name) && try_claim_name(names_dir, name, id)))
      return name;
  }
  throw util::Error("generate a container name: every candidate is taken");
}

} // namespace storage
