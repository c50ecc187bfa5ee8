// Dockerfile instructions: each keyword's arguments parsed into its typed struct, then grouped
// into stages. Nothing is expanded here; see substitute.hpp.
#include "build/dockerfile.hpp"

#include "build/dockerfile_lines.hpp"
#include "build/dockerfile_words.hpp"
#include "build/run_mounts.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>

namespace build {
namespace {

using detail::Flags;

// What a keyword handler sees: arguments after the flags, the flags, heredocs, escape char.
struct Args {
  std::string_view rest;
  std::vector<std::string> flag_words;
  std::vector<Heredoc> heredocs;
  char escape;
};

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void require(bool ok, std::string_view message) {
  if (!ok)
    throw util::Error(std::string(message));
}

void no_flags(const Args& a) { Flags(a.flag_words, {}); }

// A JSON array of strings, or nullopt when `text` is not one (then it is shell form).
std::optional<std::vector<std::string>> json_list(std::string_view text) {
  if (text.empty() || text[0] != '[')
    return std::nullopt;
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_array())
    return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : json) {
    if (!v.is_string())
      return std::nullopt;
    out.push_back(v.get<std::string>());
  }
  return out;
}

Command command(std::string_view text) {
  Command c;
  if (auto list = json_list(text)) {
    c.exec_form = true;
    c.args = std::move(*list);
  } else {
    c.shell = std::string(text);
  }
  return c;
}

std::vector<std::string> whitespace_words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (!word.empty())
        out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty())
    out.push_back(std::move(word));
  return out;
}

std::vector<std::string> json_or_words(std::string_view text) {
  if (auto list = json_list(text))
    return *list;
  return whitespace_words(text);
}

// ENV and LABEL: `k=v k2="v 2"`, or the legacy `k value with spaces`.
std::vector<KeyValue> name_values(const Args& a, std::string_view keyword) {
  auto words = split_words(a.rest, a.escape);
  require(!words.empty(), util::cat(keyword, " requires at least one argument"));
  std::vector<KeyValue> out;
  if (words[0].find('=') == std::string::npos) {
    auto ws = a.rest.find_first_of(" \t");
    require(ws != std::string_view::npos, util::cat(keyword, " must have two arguments"));
    out.emplace_back(std::string(a.rest.substr(0, ws)), std::string(util::trim(a.rest.substr(ws))));
    return out;
  }
  for (const auto& w : words) {
    auto eq = w.find('=');
    require(eq != std::string::npos,
            util::cat("Syntax error - can't find = in ", util::quote(w), ". Must be of the form: name=value"));
    require(eq != 0, util::cat(keyword, " names can not be blank"));
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

InstructionBody parse_from(const Args& a) {
  Flags flags(a.flag_words, {"platform"});
  auto words = split_words(a.rest, a.escape);
  require(words.size() == 1 || (words.size() == 3 && util::to_lower(words[1]) == "as"),
          "FROM requires either one or three arguments");
  From f{words[0], words.size() == 3 ? util::to_lower(words[2]) : "", flags.value("platform")};
  for (char c : f.name)
    require(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.',
            util::cat("invalid name for build stage: ", util::quote(words[2])));
  return f;
}

// The script a shell-form RUN hands to its shell: a lone `<<EOF` runs the body itself,
// otherwise the here-documents follow the command as the shell expects them.
std::string run_script(const Args& a) {
  if (a.heredocs.empty())
    return std::string(a.rest);
  auto words = split_words(a.rest, a.escape);
  if (a.heredocs.size() == 1 && words.size() == 1)
    return a.heredocs[0].body;
  std::string script(a.rest);
  for (const auto& doc : a.heredocs)
    script += util::cat("\n", doc.body, doc.name);
  return script;
}

InstructionBody parse_run(const Args& a) {
  Flags flags(a.flag_words, {"mount", "network", "security"});
  require(!util::trim(a.rest).empty(), "RUN requires at least one argument");
  Run r;
  r.command = command(a.rest);
  if (!r.command.exec_form)
    r.command.shell = run_script(a);
  r.mounts = flags.values("mount");
  r.network = flags.value("network");
  check_run_network(r.network);
  r.security = flags.value("security");
  r.heredocs = a.heredocs;
  return r;
}

InstructionBody parse_copy(const Args& a, bool add) {
  Flags flags = add ? Flags(a.flag_words, {"chown", "chmod", "checksum", "link", "keep-git-dir", "exclude"})
                    : Flags(a.flag_words, {"from", "chown", "chmod", "link", "parents", "exclude"});
  Copy c;
  c.add = add;
  auto words = json_or_words(a.rest);
  require(words.size() >= 2, util::cat(add ? "ADD" : "COPY", " requires at least two arguments"));
  c.dest = words.back();
  words.pop_back();
  for (auto& w : words) {
    bool is_doc = false;
    for (const auto& doc : a.heredocs)
      is_doc = is_doc || (w.substr(0, 2) == "<<" && w.find(doc.name) != std::string::npos);
    if (!is_doc)
      c.sources.push_back(std::move(w));
  }
  c.heredocs = a.heredocs;
  c.chown = flags.value("chown");
  c.chmod = flags.value("chmod");
  c.link = flags.boolean("link");
  c.excludes = flags.values("exclude");
  if (add) {
    c.checksum = flags.value("checksum");
    c.keep_git_dir = flags.boolean("keep-git-dir");
  } else {
    c.from = flags.value("from");
    c.parents = flags.boolean("parents");
  }
  return c;
}

InstructionBody parse_arg(const Args& a) {
  no_flags(a);
  auto words = split_words(a.rest, a.escape);
  require(!words.empty(), "ARG requires at least one argument");
  Arg arg;
  for (const auto& w : words) {
    auto eq = w.find('=');
    require(eq != 0, "ARG names can not be blank");
    if (eq == std::string::npos)
      arg.decls.push_back({w, std::nullopt});
    else
      arg.decls.push_back({w.substr(0, eq), w.substr(eq + 1)});
  }
  return arg;
}

std::string single(const Args& a, std::string_view keyword) {
  no_flags(a);
  auto text = util::trim(a.rest);
  require(!text.empty(), util::cat(keyword, " requires exactly one argument"));
  return std::string(text);
}

InstructionBody parse_healthcheck(const Args& a) {
  Flags flags(a.flag_words, {"interval", "timeout", "start-period", "start-interval", "retries"});
  Healthcheck h;
  auto words = split_words(a.rest, a.escape);
  require(!words.empty(), "HEALTHCHECK requires an argument");
  auto type = util::to_lower(words[0]);
  if (type == "none") {
    require(words.size() == 1 && flags.empty(), "HEALTHCHECK NONE takes no arguments");
    h.none = true;
    return h;
  }
  require(type == "cmd", util::cat("Unknown type ", util::quote(words[0]), " in HEALTHCHECK (try CMD)"));
  auto rest = util::trim(util::trim(a.rest).substr(words[0].size()));
  require(!rest.empty(), "Missing command after HEALTHCHECK CMD");
  h.command = command(rest);
  h.interval = flags.value("interval");
  h.timeout = flags.value("timeout");
  h.start_period = flags.value("start-period");
  h.start_interval = flags.value("start-interval");
  for (const auto* d : {&h.interval, &h.timeout, &h.start_period, &h.start_interval})
    if (!d->empty())
      parse_duration_ns(*d);
  if (auto r = flags.value("retries"); !r.empty())
    h.retries = static_cast<unsigned>(util::parse_unsigned(r, "--retries"));
  return h;
}

InstructionBody parse_instruction(const std::string& keyword, const Args& a);

InstructionBody parse_onbuild(const Args& a) {
  no_flags(a);
  auto text = util::trim(a.rest);
  auto end = text.find_first_of(" \t");
  auto kw = util::to_lower(text.substr(0, end));
  require(!kw.empty(), "ONBUILD requires at least one argument");
  require(kw != "onbuild", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  require(kw != "from" && kw != "maintainer", util::cat(kw, " isn't allowed as an ONBUILD trigger"));
  Args inner{end == std::string_view::npos ? std::string_view() : text.substr(end), {}, {}, a.escape};
  inner.rest = detail::extract_flags(inner.rest, inner.flag_words);
  parse_instruction(kw, inner); // validates the trigger now rather than in a child image's build
  return Onbuild{util::cat(upper(kw), end == std::string_view::npos ? "" : text.substr(end))};
}

InstructionBody parse_instruction(const std::string& kw, const Args& a) {
  if (kw == "from")
    return parse_from(a);
  if (kw == "run")
    return parse_run(a);
  if (kw == "cmd" || kw == "entrypoint") {
    no_flags(a);
    if (kw == "cmd")
      return Cmd{command(a.rest)};
    return Entrypoint{command(a.rest)};
  }
  if (kw == "env" || kw == "label") {
    no_flags(a);
    if (kw == "env")
      return Env{name_values(a, "ENV")};
    return Label{name_values(a, "LABEL")};
  }
  if (kw == "copy" || kw == "add")
    return parse_copy(a, kw == "add");
  if (kw == "arg")
    return parse_arg(a);
  if (kw == "expose") {
    no_flags(a);
    auto ports = whitespace_words(a.rest);
    require(!ports.empty(), "EXPOSE requires at least one argument");
    return Expose{ports};
  }
  if (kw == "volume") {
    no_flags(a);
    auto paths = json_or_words(a.rest);
    require(!paths.empty(), "VOLUME requires at least one argument");
    return Volume{paths};
  }
  if (kw == "shell") {
    no_flags(a);
    auto list = json_list(a.rest);
    require(list && !list->empty(), "SHELL requires the arguments to be in JSON form");
    return Shell{*list};
  }
  if (kw == "user")
    return User{single(a, "USER")};
  if (kw == "workdir")
    return Workdir{single(a, "WORKDIR")};
  if (kw == "stopsignal")
    return Stopsignal{single(a, "STOPSIGNAL")};
  if (kw == "maintainer")
    return Maintainer{single(a, "MAINTAINER")};
  if (kw == "healthcheck")
    return parse_healthcheck(a);
  if (kw == "onbuild")
    return parse_onbuild(a);
  throw util::Error(util::cat("unknown instruction ", util::quote(upper(kw))));
}

Instruction parse_line(const detail::LogicalLine& ll, char escape) {
  std::string_view text = util::trim(ll.text);
  auto end = text.find_first_of(" \t");
  std::string word(text.substr(0, end));
  Args a{end == std::string_view::npos ? std::string_view() : text.substr(end), {}, ll.heredocs, escape};
  a.rest = util::trim(detail::extract_flags(a.rest, a.flag_words));
  Instruction ins;
  ins.line = ll.line;
  ins.keyword = upper(word);
  ins.original = util::cat(ins.keyword, end == std::string_view::npos ? "" : text.substr(end));
  ins.body = parse_instruction(util::to_lower(word), a);
  return ins;
}

} // namespace

long long parse_duration_ns(std::string_view text) {
  static const std::pair<std::string_view, double> units[] = {
      {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  auto bad = [&] { return util::Error(util::cat("invalid duration ", util::quote(text))); };
  if (text.empty())
    throw bad();
  if (text == "0")
    return 0; // the one duration Go accepts without a unit
  double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t n = 0;
    while (n < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[n])) != 0 || rest[n] == '.'))
      ++n;
    if (n == 0)
      throw bad();
    double value = std::stod(std::string(rest.substr(0, n)));
    rest.remove_prefix(n);
    std::size_t u = 0;
    while (u < rest.size() && std::isdigit(static_cast<unsigned char>(rest[u])) == 0 && rest[u] != '.')
      ++u;
    bool known = false;
    for (const auto& [name, scale] : units)
      if (rest.substr(0, u) == name) {
        total += value * scale;
        known = true;
      }
    if (!known)
      throw bad();
    rest.remove_prefix(u);
  }
  return static_cast<long long>(total);
}

std::optional<std::size_t> Dockerfile::find_stage(std::string_view name) const {
  auto lower = util::to_lower(name);
  for (std::size_t i = 0; i < stages.size(); ++i)
    if (!stages[i].from.name.empty() && stages[i].from.name == lower)
      return i;
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos && name.size() < 9) {
    auto index = std::stoul(std::string(name));
    if (index < stages.size())
      return index;
  }
  return std::nullopt;
}

Dockerfile parse_dockerfile(std::string_view text, std::string_view file) {
  auto lines = detail::read_lines(text, file);
  Dockerfile df;
  df.escape = lines.escape;
  df.notes = std::move(lines.notes);
  for (const auto& ll : lines.lines) {
    Instruction ins;
    try {
      ins = parse_line(ll, df.escape);
    } catch (const util::Error& e) {
      detail::fail_at(file, ll.line, e.what());
    }
    if (auto* from = std::get_if<From>(&ins.body)) {
      if (!from->name.empty() && df.find_stage(from->name) && !std::isdigit(static_cast<unsigned char>(from->name[0])))
        detail::fail_at(file, ll.line, util::cat("duplicate stage name ", util::quote(from->name)));
      df.stages.push_back(Stage{static_cast<int>(df.stages.size()), *from, ll.line, {}});
    } else if (df.stages.empty()) {
      auto* arg = std::get_if<Arg>(&ins.body);
      if (arg == nullptr)
        detail::fail_at(file, ll.line, util::cat(ins.keyword, " before the first FROM: no build stage in current context"));
      df.global_args.push_back(*arg);
    } else {
      df.stages.back().instructions.push_back(std::move(ins));
    }
  }
  if (df.stages.empty())
    throw util::Error(util::cat(file, ": file with no instructions (a Dockerfile needs a FROM)"));
  return df;
}

} // namespace build
