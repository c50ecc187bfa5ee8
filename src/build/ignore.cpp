// Ignore patterns compiled to tokens and matched by backtracking, with the same meaning Docker
// gives them (it translates each pattern to an anchored regular expression).
#include "build/ignore.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

namespace build {
namespace {

using Pattern = IgnoreMatcher::Pattern;
using Kind = Pattern::Kind;

bool class_matches(std::string_view set, char c) {
  bool negate = !set.empty() && set[0] == '^';
  if (negate)
    set.remove_prefix(1);
  bool hit = false;
  for (std::size_t i = 0; i < set.size(); ++i) {
    char lo = set[i];
    if (lo == '\\' && i + 1 < set.size())
      lo = set[++i];
    char hi = lo;
    if (i + 2 < set.size() && set[i + 1] == '-') {
      hi = set[i + 2];
      if (hi == '\\' && i + 3 < set.size())
        hi = set[++i + 2];
      i += 2;
    }
    hit = hit || (lo <= c && c <= hi);
  }
  return hit != negate;
}

bool match_from(const std::vector<Pattern::Token>& toks, std::size_t t, std::string_view s, std::size_t i) {
  for (; t < toks.size(); ++t) {
    const auto& tok = toks[t];
    switch (tok.kind) {
    case Kind::AnyRest:
      return true;
    case Kind::AnyDirs: // zero or more whole leading components: "(.*/)?"
      if (match_from(toks, t + 1, s, i))
        return true;
      for (std::size_t k = i + 1; k <= s.size(); ++k)
        if (s[k - 1] == '/' && match_from(toks, t + 1, s, k))
          return true;
      return false;
    case Kind::Star:
      for (std::size_t k = i;; ++k) {
        if (match_from(toks, t + 1, s, k))
          return true;
        if (k == s.size() || s[k] == '/')
          return false;
      }
    case Kind::One:
      if (i == s.size() || s[i] == '/')
        return false;
      ++i;
      break;
    case Kind::Class:
      if (i == s.size() || !class_matches(tok.text, s[i]))
        return false;
      ++i;
      break;
    case Kind::Literal:
      if (i == s.size() || s[i] != tok.text[0])
        return false;
      ++i;
      break;
    }
  }
  return i == s.size();
}

bool matches(const Pattern& p, std::string_view path) { return match_from(p.tokens, 0, path, 0); }

std::vector<Pattern::Token> compile(std::string_view p) {
  std::vector<Pattern::Token> out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/')
          ++i;
        out.push_back({i + 1 == p.size() ? Kind::AnyRest : Kind::AnyDirs, {}});
      } else {
        out.push_back({Kind::Star, {}});
      }
    } else if (c == '?') {
      out.push_back({Kind::One, {}});
    } else if (c == '[') {
      std::size_t end = i + 1;
      if (end < p.size() && p[end] == '^')
        ++end;
      if (end < p.size() && p[end] == ']')
        ++end; // a ']' right after '[' or '[^' is a member
      while (end < p.size() && p[end] != ']')
        end += p[end] == '\\' ? 2 : 1;
      if (end >= p.size() || end == i + 1)
        throw util::Error(util::cat("syntax error in pattern ", util::quote(p)));
      out.push_back({Kind::Class, std::string(p.substr(i + 1, end - i - 1))});
      i = end;
    } else {
      if (c == '\\') {
        if (i + 1 == p.size())
          throw util::Error(util::cat("syntax error in pattern ", util::quote(p)));
        c = p[++i];
      }
      out.push_back({Kind::Literal, std::string(1, c)});
    }
  }
  return out;
}

} // namespace

std::string clean_path(std::string_view path) {
  bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  for (const auto& part : util::split(path, '/')) {
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!absolute)
        parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  auto joined = util::join(parts, "/");
  if (absolute)
    return "/" + joined;
  return joined.empty() ? "." : joined;
}

IgnoreMatcher::IgnoreMatcher(std::string_view file_text) {
  for (const auto& line : util::split(file_text, '\n')) {
    if (!line.empty() && line[0] == '#')
      continue;
    std::string_view text = util::trim(line);
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
      text.remove_prefix(3);
    if (text.empty())
      continue;
    Pattern p;
    if (text[0] == '!') {
      p.exception = true;
      text = util::trim(text.substr(1));
      if (text.empty())
        throw util::Error("illegal exclusion pattern: \"!\"");
    }
    auto cleaned = clean_path(text);
    if (cleaned.size() > 1 && cleaned[0] == '/')
      cleaned.erase(0, 1);
    try {
      p.tokens = compile(cleaned);
    } catch (const util::Error&) {
      util::rethrow_with_context("ignore file");
    }
    m_has_exceptions = m_has_exceptions || p.exception;
    m_patterns.push_back(std::move(p));
  }
}

bool IgnoreMatcher::ignored(std::string_view raw) const {
  auto path = clean_path(raw);
  auto slash = path.rfind('/');
  auto parents = slash == std::string::npos ? std::vector<std::string>() : util::split(path.substr(0, slash), '/');
  bool ignored = false;
  for (const auto& p : m_patterns) {
    if (p.exception != ignored)
      continue; // cannot change the verdict
    bool hit = matches(p, path);
    std::string prefix;
    for (std::size_t i = 0; !hit && i < parents.size(); ++i) {
      prefix += (i == 0 ? "" : "/") + parents[i];
      hit = matches(p, prefix);
    }
    if (hit)
      ignored = !p.exception;
  }
  return ignored;
}

} // namespace build
