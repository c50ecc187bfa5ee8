// Logical lines of a Dockerfile, following Docker's rules: directives only at the very top, a
// comment is a whole line starting with '#', an escape char at end of line continues it (comment
// and empty lines inside a continuation are skipped), and RUN/COPY/ADD may be followed by
// here-document bodies.
#include "build/dockerfile_lines.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <optional>

namespace build::detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view ltrim(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (is_blank(s[i]) || s[i] == '\r' || s[i] == '\n'))
    ++i;
  return s.substr(i);
}

bool is_comment(std::string_view line) {
  auto t = ltrim(line);
  return !t.empty() && t[0] == '#';
}

std::vector<std::string_view> physical_lines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    text.remove_prefix(3); // a byte-order mark
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos)
      break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// `# name = value` at the top of the file; nullopt when the line is not of that shape.
std::optional<std::pair<std::string, std::string>> directive(std::string_view line) {
  auto t = ltrim(line);
  if (t.empty() || t[0] != '#')
    return std::nullopt;
  t = ltrim(t.substr(1));
  std::size_t n = 0;
  while (n < t.size() && (std::isalnum(static_cast<unsigned char>(t[n])) != 0))
    ++n;
  if (n == 0 || std::isalpha(static_cast<unsigned char>(t[0])) == 0)
    return std::nullopt;
  auto rest = ltrim(t.substr(n));
  if (rest.empty() || rest[0] != '=')
    return std::nullopt;
  auto value = util::trim(rest.substr(1));
  if (value.empty())
    return std::nullopt;
  return std::make_pair(util::to_lower(t.substr(0, n)), std::string(value));
}

// Reads the directives; returns the index of the first line after them.
std::size_t read_directives(const std::vector<std::string_view>& lines, std::string_view file, Lines& out) {
  bool seen_escape = false, seen_syntax = false;
  std::size_t i = 0;
  for (; i < lines.size(); ++i) {
    auto d = directive(lines[i]);
    if (!d)
      break;
    const int lineno = static_cast<int>(i) + 1;
    if (d->first == "escape") {
      if (seen_escape)
        fail_at(file, lineno, "only one escape parser directive can be used");
      if (d->second != "\\" && d->second != "`")
        fail_at(file, lineno, util::cat("invalid escape token ", util::quote(d->second), " does not match ` or \\"));
      seen_escape = true;
      out.escape = d->second[0];
    } else if (d->first == "syntax") {
      if (seen_syntax)
        fail_at(file, lineno, "only one syntax parser directive can be used");
      seen_syntax = true;
      out.notes.push_back(util::cat(file, ":", lineno, ": ignoring syntax directive ", util::quote(d->second),
                                    " (cove parses Dockerfiles itself)"));
    } else if (d->first != "check") {
      break; // an unknown directive is an ordinary comment and ends the directives
    }
  }
  return i;
}

// Strips a trailing escape char (and blanks after it); true when the line continues.
bool strip_continuation(std::string& line, char escape) {
  auto end = line.size();
  while (end > 0 && is_blank(line[end - 1]))
    --end;
  if (end == 0 || line[end - 1] != escape)
    return false;
  line.resize(end - 1);
  return true;
}

bool takes_heredocs(std::string_view text) {
  auto end = text.find_first_of(" \t");
  auto kw = util::to_lower(text.substr(0, end));
  return kw == "run" || kw == "copy" || kw == "add";
}

// Reads each marker's body from the lines after the instruction; returns the next line index.
std::size_t read_heredoc_bodies(const std::vector<std::string_view>& lines, std::size_t i, LogicalLine& ll,
                                std::string_view file) {
  for (auto& doc : ll.heredocs) {
    bool closed = false;
    while (i < lines.size()) {
      std::string_view body_line = lines[i++];
      if (doc.strip_tabs)
        while (!body_line.empty() && body_line[0] == '\t')
          body_line.remove_prefix(1);
      if (body_line == doc.name) {
        closed = true;
        break;
      }
      doc.body.append(body_line).push_back('\n');
    }
    if (!closed)
      fail_at(file, ll.line, util::cat("unterminated heredoc ", util::quote(doc.name)));
  }
  return i;
}

} // namespace

void fail_at(std::string_view file, int line, std::string_view message) {
  throw util::Error(util::cat(file, ":", line, ": ", message));
}

std::vector<Heredoc> heredoc_markers(std::string_view args, char escape) {
  std::vector<Heredoc> out;
  for (const auto& word : split_words(args, escape)) {
    std::string_view w = word;
    if (w.substr(0, 2) != "<<" || w.substr(0, 3) == "<<<")
      continue;
    w.remove_prefix(2);
    Heredoc doc;
    if (!w.empty() && w[0] == '-') {
      doc.strip_tabs = true;
      w.remove_prefix(1);
    }
    if (w.size() >= 2 && (w[0] == '"' || w[0] == '\'') && w.back() == w[0]) {
      doc.expand = false;
      w = w.substr(1, w.size() - 2);
    }
    bool valid = !w.empty();
    for (char c : w)
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.');
    if (!valid)
      continue; // `<<` followed by something else is left to the shell
    doc.name = std::string(w);
    out.push_back(std::move(doc));
  }
  return out;
}

Lines read_lines(std::string_view text, std::string_view file) {
  Lines out;
  auto lines = physical_lines(text);
  std::size_t i = read_directives(lines, file, out);
  while (i < lines.size()) {
    if (is_comment(lines[i]) || ltrim(lines[i]).empty()) {
      ++i;
      continue;
    }
    LogicalLine ll;
    ll.line = static_cast<int>(i) + 1;
    std::string part(ltrim(lines[i++]));
    bool more = strip_continuation(part, out.escape);
    ll.text = part;
    while (more && i < lines.size()) {
      auto next = lines[i++];
      if (is_comment(next) || ltrim(next).empty())
        continue;
      part = std::string(next);
      more = strip_continuation(part, out.escape);
      ll.text += part;
    }
    if (util::trim(ll.text).empty())
      continue;
    if (takes_heredocs(ll.text)) {
      ll.heredocs = heredoc_markers(ll.text, out.escape);
      i = read_heredoc_bodies(lines, i, ll, file);
    }
    out.lines.push_back(std::move(ll));
  }
  return out;
}

} // namespace build::detail
