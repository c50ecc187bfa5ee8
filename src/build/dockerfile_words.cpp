// Word splitting shared by the Dockerfile parser, and flag extraction (`--from=x` before the
// arguments), both following Docker's quoting rules for the unexpanded text.
#include "build/dockerfile_words.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>

namespace build {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

} // namespace

std::vector<std::string> split_words(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, blank_ok = false;
  char quote = 0;
  auto finish = [&] {
    if (blank_ok || !word.empty())
      words.push_back(word);
    word.clear();
    blank_ok = false;
    in_word = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      else if (c == escape && quote != '\'') {
        if (i + 1 == text.size())
          continue;
        word += c;
        c = text[++i];
      }
      word += c;
      continue;
    }
    if (is_space(c)) {
      if (in_word)
        finish();
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
      blank_ok = true;
    } else if (c == escape) {
      if (i + 1 == text.size())
        continue;
      word += c;
      c = text[++i];
    }
    word += c;
  }
  if (in_word)
    finish();
  return words;
}

namespace detail {

std::string_view extract_flags(std::string_view text, std::vector<std::string>& flags) {
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i]))
      ++i;
    if (text.substr(i, 2) != "--")
      return text.substr(i);
    std::string word;
    char quote = 0;
    for (; i < text.size() && (quote != 0 || !is_space(text[i])); ++i) {
      char c = text[i];
      if (quote != 0 && c == quote) {
        quote = 0;
        continue;
      }
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
        continue;
      }
      if (c == '\\' && i + 1 < text.size())
        c = text[++i];
      word += c;
    }
    if (word == "--")
      return text.substr(i);
    flags.push_back(std::move(word));
  }
}

Flags::Flags(const std::vector<std::string>& words, std::initializer_list<std::string_view> allowed) {
  for (const auto& w : words) {
    std::string_view body = std::string_view(w).substr(2);
    auto eq = body.find('=');
    std::string name(body.substr(0, eq));
    bool known = false;
    for (auto a : allowed)
      known = known || a == name;
    if (!known)
      throw util::Error(util::cat("unknown flag: --", name));
    m_values.emplace_back(name, eq == std::string_view::npos ? std::optional<std::string>()
                                                              : std::string(body.substr(eq + 1)));
  }
}

std::string Flags::value(std::string_view name) const {
  std::string out;
  for (const auto& [n, v] : m_values)
    if (n == name) {
      if (!v)
        throw util::Error(util::cat("missing a value on flag: --", name));
      out = *v;
    }
  return out;
}

std::vector<std::string> Flags::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : m_values)
    if (n == name) {
      if (!v)
        throw util::Error(util::cat("missing a value on flag: --", name));
      out.push_back(*v);
    }
  return out;
}

bool Flags::boolean(std::string_view name) const {
  bool out = false;
  for (const auto& [n, v] : m_values)
    if (n == name) {
      if (!v || *v == "true")
        out = true;
      else if (*v == "false")
        out = false;
      else
        throw util::Error(util::cat("expecting boolean value for flag --", name, ", not: ", *v));
    }
  return out;
}

} // namespace detail
} // namespace build
