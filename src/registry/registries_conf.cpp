#include "registry/registries_conf.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/paths.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <variant>

namespace registry {

namespace {

using Value = std::variant<std::monostate, std::string, bool, std::vector<std::string>>;

enum class Section { top, registry, insecure_v1, other };

// Cuts a '#' comment that is outside a string.
std::string_view strip_comment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

// Net '[' minus ']' outside strings, to know whether an array continues on the next line.
int bracket_depth(std::string_view text) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    }
  }
  return depth;
}

class ConfParser {
public:
  ConfParser(std::string_view origin, size_t line) : m_origin(origin), m_line(line) {}

  [[noreturn]] void fail(std::string_view what) const {
    throw util::Error(util::cat(m_origin, ":", m_line, ": ", what));
  }

  // A basic ("..." with escapes) or literal ('...') string starting at pos.
  std::string parse_string(std::string_view text, size_t& pos) const {
    char quote = text[pos++];
    std::string out;
    for (; pos < text.size(); ++pos) {
      char c = text[pos];
      if (c == quote) {
        ++pos;
        return out;
      }
      if (c == '\\' && quote == '"' && pos + 1 < text.size())
        c = text[++pos];
      out += c;
    }
    fail("unterminated string");
  }

  Value parse_value(std::string_view text) const {
    text = util::trim(text);
    if (text.empty())
      fail("missing value");
    if (text == "true" || text == "false")
      return text == "true";
    if (text.front() == '"' || text.front() == '\'') {
      size_t pos = 0;
      std::string s = parse_string(text, pos);
      if (!util::trim(text.substr(pos)).empty())
        fail(util::cat("unexpected text after string: ", util::quote(text.substr(pos))));
      return s;
    }
    if (text.front() == '[')
      return parse_array(text);
    return std::monostate{}; // numbers, dates, inline tables: not used by cove
  }

  std::vector<std::string> parse_array(std::string_view text) const {
    std::vector<std::string> items;
    size_t pos = 1;
    while (true) {
      while (pos < text.size() &&
             (std::isspace(static_cast<unsigned char>(text[pos])) != 0 || text[pos] == ','))
        ++pos;
      if (pos >= text.size())
        fail("unterminated array");
      if (text[pos] == ']')
        return items;
      if (text[pos] != '"' && text[pos] != '\'')
        fail(util::cat("expected a string in array ", util::quote(text)));
      items.push_back(parse_string(text, pos));
    }
  }

private:
  std::string_view m_origin;
  size_t m_line;
};

std::string table_name(std::string_view line, size_t brackets) {
  std::string_view inner = line.substr(brackets, line.size() - 2 * brackets);
  return std::string(util::trim(inner));
}

bool matches(std::string_view location, std::string_view name) {
  if (location.rfind("*.", 0) == 0) {
    std::string_view host = name.substr(0, name.find('/'));
    if (host.find(']') == std::string_view::npos)
      host = host.substr(0, host.find(':')); // a port does not stop a wildcard from matching
    std::string_view suffix = location.substr(1);
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  }
  if (name.rfind(location, 0) != 0)
    return false;
  return name.size() == location.size() || name[location.size()] == '/';
}

// Applies one `key = value` of the current table to the configuration.
void apply_key(RegistriesConf& conf, Section section, const std::string& key, const Value& value,
               const ConfParser& parser) {
  if (section == Section::registry) {
    RegistryEntry& entry = conf.registries.back();
    if (key == "location" || key == "prefix") {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr)
        parser.fail(util::cat(key, " must be a string"));
      // `prefix` is what references are matched against; it defaults to `location`.
      if (key == "prefix" || entry.location.empty())
        entry.location = *s;
    } else if (key == "insecure") {
      const bool* b = std::get_if<bool>(&value);
      if (b == nullptr)
        parser.fail("insecure must be true or false");
      entry.insecure = *b;
    }
  } else if (section == Section::insecure_v1 && key == "registries") {
    const auto* list = std::get_if<std::vector<std::string>>(&value);
    if (list == nullptr)
      parser.fail("registries must be an array of strings");
    for (const auto& location : *list)
      conf.registries.push_back(RegistryEntry{location, true});
  }
}

} // namespace

std::optional<bool> RegistriesConf::insecure_for(std::string_view name) const {
  std::optional<bool> result;
  size_t best = 0;
  for (const auto& entry : registries) {
    if (entry.location.empty() || !matches(entry.location, name))
      continue;
    if (!result || entry.location.size() > best) {
      result = entry.insecure;
      best = entry.location.size();
    }
  }
  return result;
}

RegistriesConf parse_registries_conf(std::string_view text, std::string_view origin) {
  RegistriesConf conf;
  Section section = Section::top;
  std::vector<std::string> lines = util::split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t first_line = i + 1;
    std::string statement(util::trim(strip_comment(lines[i])));
    if (statement.empty())
      continue;
    // Arrays may span lines: gather until the brackets balance.
    while (bracket_depth(statement) > 0 && i + 1 < lines.size())
      statement += " " + std::string(util::trim(strip_comment(lines[++i])));
    ConfParser parser(origin, first_line);
    if (statement.rfind("[[", 0) == 0) {
      if (statement.size() < 4 || statement.substr(statement.size() - 2) != "]]")
        parser.fail(util::cat("malformed table header ", util::quote(statement)));
      section = table_name(statement, 2) == "registry" ? Section::registry : Section::other;
      if (section == Section::registry)
        conf.registries.emplace_back();
      continue;
    }
    if (statement.front() == '[') {
      if (statement.back() != ']')
        parser.fail(util::cat("malformed table header ", util::quote(statement)));
      section =
          table_name(statement, 1) == "registries.insecure" ? Section::insecure_v1 : Section::other;
      continue;
    }
    size_t eq = statement.find('=');
    if (eq == std::string::npos)
      parser.fail(util::cat("expected key = value, got ", util::quote(statement)));
    std::string key(util::trim(std::string_view(statement).substr(0, eq)));
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\''))
      key = key.substr(1, key.size() - 2);
    apply_key(conf, section, key, parser.parse_value(std::string_view(statement).substr(eq + 1)),
              parser);
  }
  return conf;
}

RegistriesConf load_registries_conf() {
  for (const auto& path : {util::paths::config_home() / "containers/registries.conf",
                           std::filesystem::path("/etc/containers/registries.conf")}) {
    if (auto text = util::read_file_if_exists(path)) {
      LOG_DEBUG("registries configuration from ", path.string());
      return parse_registries_conf(*text, path.string());
    }
  }
  return {};
}

} // namespace registry
