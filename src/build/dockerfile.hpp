// Dockerfile parsing (pure): text -> stages of typed instructions. Words keep their quotes and
// `$` references; build/substitute.hpp expands them at build time against ARG/ENV.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace build {

// A command in exec form (JSON array) or shell form (one string given to the SHELL).
struct Command {
  bool exec_form = false;
  std::vector<std::string> args; // exec form
  std::string shell;             // shell form, continuations joined
};

// A here-document attached to RUN, COPY or ADD: `<<EOF`, `<<-EOF`, `<<"EOF"`.
struct Heredoc {
  std::string name;        // the delimiter word, also the file name for COPY
  std::string body;        // lines between the instruction and the delimiter, '\n'-terminated
  bool expand = true;      // false when the delimiter was quoted
  bool strip_tabs = false; // `<<-`
};

// A key/value pair as written (`k=v` or the legacy `k v`); both sides unexpanded.
using KeyValue = std::pair<std::string, std::string>;

// FROM [--platform=P] IMAGE [AS NAME]
struct From {
  std::string image;
  std::string name;
  std::string platform;
};
// RUN [--mount=...]... [--network=M] [--security=S] COMMAND
struct Run {
  Command command;
  std::vector<std::string> mounts;
  std::string network;
  std::string security;
  std::vector<Heredoc> heredocs;
};
struct Cmd {
  Command command;
};
struct Entrypoint {
  Command command;
};
// ENV k=v... or ENV k v
struct Env {
  std::vector<KeyValue> vars;
};
// ARG name[=default]...
struct Arg {
  struct Decl {
    std::string name;
    std::optional<std::string> value;
  };
  std::vector<Decl> decls;
};
struct Label {
  std::vector<KeyValue> labels;
};
struct Expose {
  std::vector<std::string> ports;
};
struct Volume {
  std::vector<std::string> paths;
};
struct User {
  std::string user;
};
struct Workdir {
  std::string path;
};
// COPY and ADD: sources then destination, with their flags (`add` tells them apart).
struct Copy {
  bool add = false;
  std::vector<std::string> sources;
  std::string dest;
  std::string from;
  std::string chown;
  std::string chmod;
  std::string checksum; // ADD only
  bool link = false;
  bool parents = false;
  bool keep_git_dir = false; // ADD only
  std::vector<std::string> excludes;
  std::vector<Heredoc> heredocs; // inline sources, named by their delimiter
};
// SHELL ["exe", "arg"...] (exec form only)
struct Shell {
  std::vector<std::string> args;
};
struct Stopsignal {
  std::string signal;
};
// HEALTHCHECK NONE, or HEALTHCHECK [--interval=..]... CMD command. Durations as written.
struct Healthcheck {
  bool none = false;
  Command command;
  std::string interval, timeout, start_period, start_interval;
  std::optional<unsigned> retries;
};
// ONBUILD INSTRUCTION: the trigger text, keyword upper-cased, stored in the image config.
struct Onbuild {
  std::string trigger;
};
struct Maintainer {
  std::string name;
};

// The typed body of one instruction.
using InstructionBody = std::variant<From, Run, Cmd, Entrypoint, Env, Arg, Label, Expose, Volume, User,
                                     Workdir, Copy, Shell, Stopsignal, Healthcheck, Onbuild, Maintainer>;

// One instruction with where it came from.
struct Instruction {
  int line = 0;         // first physical line (1-based)
  std::string keyword;  // upper-case: "RUN"
  std::string original; // "RUN make -j4" with continuations joined, for history and cache keys
  InstructionBody body;
};

// A FROM and the instructions up to the next FROM.
struct Stage {
  int index = 0;
  From from;
  int line = 0;
  std::vector<Instruction> instructions;
};

// A parsed Dockerfile.
struct Dockerfile {
  char escape = '\\';
  std::vector<Arg> global_args;   // ARGs before the first FROM
  std::vector<Stage> stages;
  std::vector<std::string> notes; // things ignored on purpose, e.g. a `# syntax=` directive

  // The stage called `name` (case-insensitive) or with that index; nullopt when none.
  std::optional<std::size_t> find_stage(std::string_view name) const;
};

// Parses Dockerfile text; `file` names it in errors: "Dockerfile:7: unknown instruction \"RNU\"".
Dockerfile parse_dockerfile(std::string_view text, std::string_view file = "Dockerfile");

// A Go duration ("30s", "1m30s", "1.5h", "500ms") in nanoseconds; throws util::Error if malformed.
long long parse_duration_ns(std::string_view text);

// Splits on unquoted whitespace, keeping quotes and escapes in the words (Docker's word rules).
std::vector<std::string> split_words(std::string_view text, char escape);

} // namespace build
