// A small lexer for Dockerfile words: quotes, escapes and `$` expansions in one pass, building
// both the joined result and the whitespace-split words.
#include "build/substitute.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <optional>

namespace build {
namespace {

// Words as they form: quoted text and escaped chars never split a word.
struct Words {
  std::vector<std::string> list;
  std::string word;
  bool in_word = false;

  void raw(char c) {
    word += c;
    in_word = true;
  }
  void raw(std::string_view s) {
    word += s;
    in_word = true;
  }
  void split(char c) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0)
      return raw(c);
    if (in_word)
      list.push_back(std::move(word));
    word.clear();
    in_word = false;
  }
  void split(std::string_view s) {
    for (char c : s)
      split(c);
  }
  std::vector<std::string> done() {
    if (in_word)
      list.push_back(std::move(word));
    return std::move(list);
  }
};

// Glob match for the # and % modifiers: `*`, `?`, escape char, literals.
bool glob(std::string_view p, std::string_view s, char escape) {
  if (p.empty())
    return s.empty();
  if (p[0] == '*') {
    for (std::size_t i = 0; i <= s.size(); ++i)
      if (glob(p.substr(1), s.substr(i), escape))
        return true;
    return false;
  }
  if (s.empty())
    return false;
  if (p[0] == '?')
    return glob(p.substr(1), s.substr(1), escape);
  if (p[0] == escape && p.size() > 1)
    p.remove_prefix(1);
  return p[0] == s[0] && glob(p.substr(1), s.substr(1), escape);
}

std::string trim_pattern(const std::string& value, std::string_view pat, char op, bool longest, char escape) {
  const std::size_t n = value.size();
  for (std::size_t k = 0; k <= n; ++k) {
    std::size_t len = longest ? n - k : k; // how much of the value the pattern covers
    if (op == '#' && glob(pat, std::string_view(value).substr(0, len), escape))
      return value.substr(len);
    if (op == '%' && glob(pat, std::string_view(value).substr(n - len), escape))
      return value.substr(0, n - len);
  }
  return value;
}

class Lexer {
public:
  Lexer(std::string_view text, const Vars& vars, char escape) : m_text(text), m_vars(vars), m_escape(escape) {}

  // Processes up to `stop` (consumed) or the end; fills `words` when given.
  std::string process(char stop, Words* words) {
    std::string result;
    Words local;
    Words& w = words != nullptr ? *words : local;
    while (!at_end()) {
      char c = peek();
      if (stop != 0 && c == stop) {
        ++m_pos;
        return result;
      }
      if (c == '\'' || c == '"' || c == '$') {
        std::string part = c == '\'' ? single_quote() : c == '"' ? double_quote() : dollar();
        result += part;
        if (c == '$')
          w.split(part);
        else
          w.raw(part);
        continue;
      }
      ++m_pos;
      if (c == m_escape) {
        if (at_end())
          break;
        c = m_text[m_pos++];
        w.raw(c);
      } else {
        w.split(c);
      }
      result += c;
    }
    if (stop != 0)
      throw util::Error(util::cat("unexpected end of statement while looking for matching ", stop));
    return result;
  }

private:
  bool at_end() const { return m_pos >= m_text.size(); }
  char peek() const { return m_text[m_pos]; }

  std::string single_quote() {
    auto end = m_text.find('\'', m_pos + 1);
    if (end == std::string_view::npos)
      throw util::Error("unexpected end of statement while looking for matching single-quote");
    std::string out(m_text.substr(m_pos + 1, end - m_pos - 1));
    m_pos = end + 1;
    return out;
  }

  std::string double_quote() {
    ++m_pos;
    std::string out;
    while (true) {
      if (at_end())
        throw util::Error("unexpected end of statement while looking for matching double-quote");
      char c = peek();
      if (c == '"') {
        ++m_pos;
        return out;
      }
      if (c == '$') {
        out += dollar();
        continue;
      }
      ++m_pos;
      if (c == m_escape && !at_end() && (peek() == '"' || peek() == '$' || peek() == m_escape))
        c = m_text[m_pos++];
      else if (c == m_escape && at_end())
        continue;
      out += c;
    }
  }

  std::string name() {
    std::size_t start = m_pos;
    if (!at_end() && std::isdigit(static_cast<unsigned char>(peek())) != 0) {
      while (!at_end() && std::isdigit(static_cast<unsigned char>(peek())) != 0)
        ++m_pos;
      return std::string(m_text.substr(start, m_pos - start));
    }
    if (!at_end() && std::string_view("@*#?-$!").find(peek()) != std::string_view::npos)
      return std::string(1, m_text[m_pos++]);
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) != 0 || peek() == '_'))
      ++m_pos;
    return std::string(m_text.substr(start, m_pos - start));
  }

  std::optional<std::string> lookup(std::string_view key) const {
    auto it = m_vars.find(key);
    if (it == m_vars.end())
      return std::nullopt;
    return it->second;
  }

  std::string dollar() {
    ++m_pos;
    if (at_end() || peek() != '{') {
      auto key = name();
      return key.empty() ? "$" : lookup(key).value_or("");
    }
    ++m_pos;
    if (at_end())
      throw util::Error("syntax error: missing '}'");
    if (peek() == '{' || peek() == '}' || peek() == ':')
      throw util::Error("syntax error: bad substitution");
    auto key = name();
    if (at_end())
      throw util::Error("syntax error: missing '}'");
    char op = m_text[m_pos++];
    if (op == '}')
      return lookup(key).value_or("");
    return modifier(key, op);
  }

  std::string modifier(const std::string& key, char op) {
    bool colon = op == ':';
    if (colon) {
      if (at_end())
        throw util::Error("syntax error: missing '}'");
      op = m_text[m_pos++];
    }
    bool longest = false;
    if ((op == '#' || op == '%') && !at_end() && peek() == op) {
      longest = true;
      ++m_pos;
    }
    if (std::string_view("-+?#%").find(op) == std::string_view::npos || (colon && (op == '#' || op == '%')))
      throw util::Error(util::cat("unsupported modifier (", colon ? ":" : "", op, ") in substitution"));
    std::string word = process('}', nullptr);
    auto value = lookup(key);
    bool missing = !value || (colon && value->empty());
    switch (op) {
    case '-':
      return missing ? word : *value;
    case '+':
      return missing ? "" : word;
    case '?':
      if (missing)
        throw util::Error(util::cat(key, ": ", !word.empty() ? word
                                                : value ? "is not allowed to be empty"
                                                        : "is not allowed to be unset"));
      return *value;
    default:
      return trim_pattern(value.value_or(""), word, op, longest, m_escape);
    }
  }

  std::string_view m_text;
  const Vars& m_vars;
  char m_escape;
  std::size_t m_pos = 0;
};

} // namespace

std::string expand_word(std::string_view word, const Vars& vars, char escape) {
  try {
    return Lexer(word, vars, escape).process(0, nullptr);
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat("expand ", util::quote(word)));
  }
}

std::vector<std::string> expand_words(std::string_view text, const Vars& vars, char escape) {
  Words words;
  try {
    Lexer(text, vars, escape).process(0, &words);
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat("expand ", util::quote(text)));
  }
  return words.done();
}

} // namespace build
