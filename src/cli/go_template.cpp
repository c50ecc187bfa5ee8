#include "cli/go_template.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

namespace cli {

using Json = nlohmann::ordered_json;

namespace {

struct Command;
using Pipeline = std::vector<Command>;

// One argument of a command: a field path from dot (".A.B", "." is empty), a literal, or a
// parenthesized pipeline with an optional field path after it ("(index .A 0).B").
struct Arg {
  enum class Kind { field, string, number, pipeline } kind;
  std::vector<std::string> path;
  std::string text;
  std::shared_ptr<Pipeline> inner;
};

// One command of a pipeline: a function name (empty for a plain value) and its arguments.
struct Command {
  std::string function;
  std::vector<Arg> args;
};

[[noreturn]] void fail(const std::string& what) {
  throw util::Error("template: " + what);
}

std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      out += text[++i] == 't' ? '\t' : '\n';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string> split_words(std::string_view action) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < action.size()) {
    if (std::isspace(static_cast<unsigned char>(action[i])) != 0) {
      ++i;
    } else if (action[i] == '"') {
      size_t end = i + 1;
      while (end < action.size() && action[end] != '"')
        end += action[end] == '\\' ? 2 : 1;
      if (end >= action.size())
        fail(util::cat("unterminated string in ", util::quote(action)));
      words.emplace_back(action.substr(i, end + 1 - i));
      i = end + 1;
    } else if (action[i] == '|') {
      words.emplace_back("|");
      ++i;
    } else if (action[i] == '(') { // up to the matching ')' and a field path after it
      size_t end = i;
      int depth = 0;
      for (; end < action.size(); ++end) {
        if (action[end] == '"') {
          for (++end; end < action.size() && action[end] != '"';)
            end += action[end] == '\\' ? 2 : 1;
        } else if (action[end] == '(') {
          ++depth;
        } else if (action[end] == ')' && --depth == 0) {
          break;
        }
      }
      if (end >= action.size())
        fail(util::cat("unclosed parenthesis in ", util::quote(action)));
      while (end + 1 < action.size() && std::isspace(static_cast<unsigned char>(action[end + 1])) == 0 &&
             action[end + 1] != '|' && action[end + 1] != ')')
        ++end;
      words.emplace_back(action.substr(i, end + 1 - i));
      i = end + 1;
    } else {
      size_t end = i;
      while (end < action.size() && std::isspace(static_cast<unsigned char>(action[end])) == 0 &&
             action[end] != '|')
        ++end;
      words.emplace_back(action.substr(i, end - i));
      i = end;
    }
  }
  return words;
}

Pipeline parse_pipeline(std::string_view action);

std::vector<std::string> field_path(std::string_view fields, const std::string& word) {
  std::vector<std::string> path = util::split(fields, '.');
  if (std::any_of(path.begin(), path.end(), [](auto& s) { return s.empty(); }))
    fail(util::cat("bad field ", util::quote(word)));
  return path;
}

Arg parse_arg(const std::string& word) {
  if (word.front() == '(') {
    size_t close = word.rfind(')');
    Arg arg{Arg::Kind::pipeline, {}, {}, nullptr};
    arg.inner = std::make_shared<Pipeline>(
        parse_pipeline(std::string_view(word).substr(1, close - 1)));
    std::string_view rest = std::string_view(word).substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != '.' || rest.size() == 1)
        fail(util::cat("unexpected ", util::quote(word)));
      arg.path = field_path(rest.substr(1), word);
    }
    return arg;
  }
  if (word.front() == '.') {
    Arg arg{Arg::Kind::field, {}, {}, nullptr};
    if (word != ".")
      arg.path = field_path(std::string_view(word).substr(1), word);
    return arg;
  }
  if (word.front() == '"') {
    std::string text;
    for (size_t i = 1; i + 1 < word.size(); ++i) {
      if (word[i] == '\\' && i + 2 < word.size()) {
        char c = word[++i];
        text += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        text += word[i];
      }
    }
    return Arg{Arg::Kind::string, {}, text, nullptr};
  }
  if (std::isdigit(static_cast<unsigned char>(word.front())) != 0 || word.front() == '-')
    return Arg{Arg::Kind::number, {}, word, nullptr};
  fail(util::cat("unexpected ", util::quote(word)));
}

Pipeline parse_pipeline(std::string_view action) {
  Pipeline pipeline;
  Command command;
  for (const std::string& word : split_words(action)) {
    if (word == "|") {
      if (command.function.empty() && command.args.empty())
        fail(util::cat("empty command in ", util::quote(action)));
      pipeline.push_back(std::move(command));
      command = {};
    } else if (command.function.empty() && command.args.empty() && word.front() != '.' &&
               word.front() != '"' && std::isalpha(static_cast<unsigned char>(word.front())) != 0) {
      command.function = word;
    } else {
      command.args.push_back(parse_arg(word));
    }
  }
  if (command.function.empty() && command.args.empty())
    fail(util::cat("missing value in ", util::quote(action)));
  pipeline.push_back(std::move(command));
  return pipeline;
}

} // namespace

struct GoTemplate::Node {
  enum class Kind { text, value, if_block, range_block } kind;
  std::string text;
  Pipeline pipeline;
  std::vector<Node> body;
  std::vector<Node> else_body;
};

namespace {

using Node = GoTemplate::Node;

// A lexed piece: literal text or the inside of {{ }} (trimmed).
struct Piece {
  bool action;
  std::string text;
};

std::vector<Piece> lex(const std::string& text) {
  std::vector<Piece> pieces;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) {
      pieces.push_back({false, text.substr(pos)});
      break;
    }
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos)
      fail(util::cat("unclosed action in ", util::quote(text)));
    std::string literal = text.substr(pos, open - pos);
    std::string inner = text.substr(open + 2, close - open - 2);
    bool trim_left = inner.size() >= 2 && inner[0] == '-' && inner[1] == ' ';
    bool trim_right = inner.size() >= 2 && inner.back() == '-' && inner[inner.size() - 2] == ' ';
    if (trim_left)
      literal.erase(literal.find_last_not_of(" \t\r\n") + 1);
    pieces.push_back({false, literal});
    inner = inner.substr(trim_left ? 1 : 0, inner.size() - (trim_left ? 1 : 0) - (trim_right ? 1 : 0));
    pieces.push_back({true, std::string(util::trim(inner))});
    pos = close + 2;
    if (trim_right)
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])) != 0)
        ++pos;
  }
  return pieces;
}

// Parses pieces[pos..] into nodes until {{end}} or {{else}} (returned in `stop`) or the end.
std::vector<Node> parse_nodes(const std::vector<Piece>& pieces, size_t& pos, std::string& stop) {
  std::vector<Node> nodes;
  while (pos < pieces.size()) {
    const Piece& piece = pieces[pos++];
    if (!piece.action) {
      if (!piece.text.empty())
        nodes.push_back(Node{Node::Kind::text, piece.text, {}, {}, {}});
      continue;
    }
    const std::string& a = piece.text;
    if (a == "end" || a == "else") {
      stop = a;
      return nodes;
    }
    if (a.rfind("/*", 0) == 0)
      continue; // comment
    bool is_if = a.rfind("if ", 0) == 0;
    bool is_range = a.rfind("range ", 0) == 0;
    if (!is_if && !is_range) {
      nodes.push_back(Node{Node::Kind::value, {}, parse_pipeline(a), {}, {}});
      continue;
    }
    Node block{is_if ? Node::Kind::if_block : Node::Kind::range_block, {},
               parse_pipeline(std::string_view(a).substr(is_if ? 3 : 6)), {}, {}};
    std::string inner_stop;
    block.body = parse_nodes(pieces, pos, inner_stop);
    if (inner_stop == "else")
      block.else_body = parse_nodes(pieces, pos, inner_stop);
    if (inner_stop != "end")
      fail(util::cat("missing {{end}} for {{", a, "}}"));
    nodes.push_back(std::move(block));
  }
  return nodes;
}

} // namespace

namespace {

bool truthy(const Json& value) {
  switch (value.type()) {
  case Json::value_t::null:
  case Json::value_t::discarded:
    return false;
  case Json::value_t::boolean:
    return value.get<bool>();
  case Json::value_t::string:
  case Json::value_t::array:
  case Json::value_t::object:
    return !value.empty();
  default:
    return value != 0;
  }
}

Json lookup(const Json& dot, const std::vector<std::string>& path) {
  const Json* current = &dot;
  for (const std::string& key : path) {
    if (!current->is_object())
      fail(util::cat("can't evaluate field ", key, " in ", current->type_name()));
    auto it = current->find(key);
    if (it == current->end())
      return Json(); // a missing map key prints "<no value>", as in Go
    current = &*it;
  }
  return *current;
}

Json eval_pipeline(const Pipeline& pipeline, const Json& dot);

Json eval_arg(const Arg& arg, const Json& dot) {
  switch (arg.kind) {
  case Arg::Kind::pipeline:
    return lookup(eval_pipeline(*arg.inner, dot), arg.path);
  case Arg::Kind::field:
    return lookup(dot, arg.path);
  case Arg::Kind::string:
    return arg.text;
  case Arg::Kind::number:
    return Json::parse(arg.text, nullptr, false);
  }
  return Json();
}

Json index_value(const Json& container, const Json& key) {
  if (container.is_object() && key.is_string()) {
    auto it = container.find(key.get<std::string>());
    return it == container.end() ? Json() : *it;
  }
  if (container.is_array() && key.is_number_integer()) {
    auto i = key.get<long long>();
    if (i < 0 || static_cast<size_t>(i) >= container.size())
      fail(util::cat("index out of range: ", i));
    return container[static_cast<size_t>(i)];
  }
  fail(util::cat("can't index ", container.type_name(), " with ", key.type_name()));
}

Json call(const std::string& name, const std::vector<Json>& args) {
  auto want = [&](size_t n) {
    if (args.size() != n)
      fail(util::cat("wrong number of args for ", name, ": want ", n, " got ", args.size()));
  };
  if (name == "json") {
    want(1);
    return args[0].dump();
  }
  if (name == "index") {
    want(2);
    return index_value(args[0], args[1]);
  }
  if (name == "join") {
    want(2);
    if (!args[0].is_array() || !args[1].is_string())
      fail("join wants a list and a separator");
    std::vector<std::string> parts;
    for (const Json& item : args[0])
      parts.push_back(template_print(item));
    return util::join(parts, args[1].get<std::string>());
  }
  if (name == "upper" || name == "lower" || name == "title") {
    want(1);
    std::string text = template_print(args[0]);
    for (size_t i = 0; i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      bool up = name == "upper" || (name == "title" && (i == 0 || text[i - 1] == ' '));
      text[i] = static_cast<char>(up ? std::toupper(c) : name == "lower" ? std::tolower(c) : c);
    }
    return text;
  }
  if (name == "len") {
    want(1);
    if (!args[0].is_string() && !args[0].is_array() && !args[0].is_object())
      fail(util::cat("len of ", args[0].type_name()));
    return args[0].is_string() ? args[0].get<std::string>().size() : args[0].size();
  }
  fail(util::cat("function ", util::quote(name), " not defined"));
}

Json eval_pipeline(const Pipeline& pipeline, const Json& dot) {
  Json result;
  bool first = true;
  for (const Command& command : pipeline) {
    std::vector<Json> args;
    for (const Arg& arg : command.args)
      args.push_back(eval_arg(arg, dot));
    if (!first)
      args.push_back(result); // a pipe passes the value as the last argument
    first = false;
    if (command.function.empty()) {
      if (args.size() != 1)
        fail("a value cannot take arguments");
      result = args[0];
    } else {
      result = call(command.function, args);
    }
  }
  return result;
}

void render_nodes(const std::vector<Node>& nodes, const Json& dot, std::string& out) {
  for (const Node& node : nodes) {
    switch (node.kind) {
    case Node::Kind::text:
      out += node.text;
      break;
    case Node::Kind::value:
      out += template_print(eval_pipeline(node.pipeline, dot));
      break;
    case Node::Kind::if_block:
      render_nodes(truthy(eval_pipeline(node.pipeline, dot)) ? node.body : node.else_body, dot, out);
      break;
    case Node::Kind::range_block: {
      Json items = eval_pipeline(node.pipeline, dot);
      if (!truthy(items)) {
        render_nodes(node.else_body, dot, out);
      } else if (items.is_array()) {
        for (const Json& item : items)
          render_nodes(node.body, item, out);
      } else if (items.is_object()) {
        std::map<std::string, Json> sorted;
        for (const auto& [key, item] : items.items())
          sorted.emplace(key, item);
        for (const auto& [key, item] : sorted)
          render_nodes(node.body, item, out);
      } else {
        fail(util::cat("range can't iterate over ", template_print(items)));
      }
      break;
    }
    }
  }
}

} // namespace

std::string GoTemplate::render(const Json& data) const {
  std::string out;
  render_nodes(*m_nodes, data, out);
  return out;
}

GoTemplate GoTemplate::parse(std::string_view text) {
  std::vector<Piece> pieces = lex(unescape(text));
  size_t pos = 0;
  std::string stop;
  auto nodes = parse_nodes(pieces, pos, stop);
  if (!stop.empty())
    fail(util::cat("unexpected {{", stop, "}}"));
  GoTemplate tmpl;
  tmpl.m_nodes = std::make_shared<const std::vector<Node>>(std::move(nodes));
  return tmpl;
}

std::string template_print(const Json& value) {
  switch (value.type()) {
  case Json::value_t::null:
  case Json::value_t::discarded:
    return "<no value>";
  case Json::value_t::string:
    return value.get<std::string>();
  case Json::value_t::array: {
    std::vector<std::string> parts;
    for (const Json& item : value)
      parts.push_back(template_print(item));
    return "[" + util::join(parts, " ") + "]";
  }
  case Json::value_t::object: {
    // Go prints maps with sorted keys.
    std::map<std::string, std::string> sorted;
    for (const auto& [key, item] : value.items())
      sorted[key] = template_print(item);
    std::vector<std::string> parts;
    for (const auto& [key, text] : sorted)
      parts.push_back(key + ":" + text);
    return "map[" + util::join(parts, " ") + "]";
  }
  default:
    return value.dump();
  }
}

} // namespace cli
