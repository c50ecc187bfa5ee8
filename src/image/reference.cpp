#include "image/reference.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace image {

namespace {

// Docker's NameTotalLengthMax: the normalized "domain/path" may not exceed this.
constexpr size_t name_total_max = 255;
constexpr size_t tag_max = 128;
constexpr std::string_view default_domain = "docker.io";
constexpr std::string_view legacy_domain = "index.docker.io";
constexpr std::string_view official_prefix = "library/";

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  throw util::Error(util::cat("invalid reference format: ", util::quote(text), ": ", why));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool all_of(std::string_view text, bool (*pred)(char)) {
  return std::all_of(text.begin(), text.end(), pred);
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back()))
    return false;
  return std::all_of(c.begin(), c.end(), [](char x) { return is_alnum(x) || x == '-'; });
}

// domain := (domain-name | "[" ipv6 "]") [":" port]
bool valid_domain(std::string_view domain) {
  std::string_view host = domain;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 3)
      return false;
    std::string_view ip = host.substr(1, close - 1);
    if (!std::all_of(ip.begin(), ip.end(),
                     [](char x) { return is_hex(x) || x == ':' || (x >= 'A' && x <= 'F'); }))
      return false;
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return false;
    port = rest.empty() ? rest : rest.substr(1);
    if (!rest.empty() && port.empty())
      return false;
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty())
        return false;
    }
    for (const auto& part : util::split(host, '.')) {
      if (!valid_domain_component(part))
        return false;
    }
  }
  return all_of(port, is_digit);
}

// path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back()))
    return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < c.size() && !is_lower_alnum(c[i]))
      ++i;
    std::string_view sep = c.substr(start, i - start);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (sep != "." && sep != "_" && sep != "__" && !dashes)
      return false;
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view tag) {
  auto word = [](char x) { return is_alnum(x) || x == '_'; };
  if (tag.empty() || tag.size() > tag_max || !word(tag.front()))
    return false;
  return std::all_of(tag.begin(), tag.end(),
                     [&](char x) { return word(x) || x == '.' || x == '-'; });
}

// Docker's splitDockerDomain: the first component is a registry only if it looks like a host.
std::pair<std::string, std::string> split_domain(std::string_view name) {
  size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash == std::string_view::npos ? 0 : slash);
  bool is_host =
      slash != std::string_view::npos && (first.find_first_of(".:") != std::string_view::npos ||
                                          first == "localhost" || util::to_lower(first) != first);
  std::string domain(is_host ? first : default_domain);
  std::string remainder(is_host ? name.substr(slash + 1) : name);
  if (domain == legacy_domain)
    domain = default_domain;
  if (domain == default_domain && remainder.find('/') == std::string::npos)
    remainder = std::string(official_prefix) + remainder;
  return {domain, remainder};
}

} // namespace

ImageRef ImageRef::parse(std::string_view text) {
  if (text.empty())
    invalid(text, "empty reference");
  ImageRef ref;
  std::string_view name = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    try {
      ref.m_digest = Digest::parse(text.substr(at + 1));
    } catch (const util::Error& e) {
      invalid(text, e.what());
    }
    name = text.substr(0, at);
  }
  size_t colon = name.rfind(':');
  size_t slash = name.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = name.substr(colon + 1);
    if (!valid_tag(tag))
      invalid(text, util::cat("invalid tag ", util::quote(tag)));
    ref.m_tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (name.size() == 64 && all_of(name, is_hex))
    invalid(text, "cannot specify 64-byte hexadecimal strings as a repository name");
  auto [domain, remainder] = split_domain(name);
  if (!valid_domain(domain))
    invalid(text, util::cat("invalid registry ", util::quote(domain)));
  if (util::to_lower(remainder) != remainder)
    invalid(text, "repository name must be lowercase");
  for (const auto& component : util::split(remainder, '/')) {
    if (!valid_path_component(component))
      invalid(text, util::cat("invalid repository name component ", util::quote(component)));
  }
  if (domain.size() + 1 + remainder.size() > name_total_max)
    invalid(text,
            util::cat("repository name must not be more than ", name_total_max, " characters"));
  ref.m_registry = std::move(domain);
  ref.m_repository = std::move(remainder);
  if (ref.m_tag.empty() && !ref.m_digest)
    ref.m_tag = "latest";
  return ref;
}

std::string ImageRef::name() const { return util::cat(m_registry, '/', m_repository); }

std::string ImageRef::str() const {
  std::string out = name();
  if (!m_tag.empty())
    out += util::cat(':', m_tag);
  if (m_digest)
    out += util::cat('@', m_digest->str());
  return out;
}

ImageRef ImageRef::with_tag(std::string_view tag) const {
  if (!valid_tag(tag))
    invalid(tag, util::cat("invalid tag ", util::quote(tag)));
  ImageRef ref = *this;
  ref.m_tag = std::string(tag);
  ref.m_digest.reset();
  return ref;
}

ImageRef ImageRef::with_digest(const Digest& digest) const {
  ImageRef ref = *this;
  ref.m_digest = digest;
  return ref;
}

bool looks_like_id_prefix(std::string_view text) {
  constexpr std::string_view prefix = "sha256:";
  size_t min = 3;
  if (text.substr(0, prefix.size()) == prefix) {
    text.remove_prefix(prefix.size());
    min = 1;
  }
  return text.size() >= min && text.size() <= 64 && all_of(text, is_hex);
}

} // namespace image
