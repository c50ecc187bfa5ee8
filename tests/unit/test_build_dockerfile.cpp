#include "build/dockerfile.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

TEST_SUITE_BEGIN("build");

using namespace build;
using Strings = std::vector<std::string>;

namespace {
// The single instruction of a one-stage Dockerfile "FROM x\n<line>".
template <typename T> T only(const std::string& line) {
  auto df = parse_dockerfile("FROM x\n" + line);
  REQUIRE(df.stages.size() == 1);
  REQUIRE(df.stages[0].instructions.size() == 1);
  const auto* body = std::get_if<T>(&df.stages[0].instructions[0].body);
  REQUIRE(body != nullptr);
  return *body;
}
} // namespace

TEST_CASE("dockerfile: stages, names, global args") {
  auto df = parse_dockerfile("ARG BASE=alpine\nARG V\nFROM ${BASE} AS Builder\nRUN make\n"
                             "from --platform=linux/arm64 scratch\nCOPY --from=builder /out /out\n");
  REQUIRE(df.global_args.size() == 2);
  CHECK(df.global_args[0].decls[0].name == "BASE");
  CHECK(*df.global_args[0].decls[0].value == "alpine");
  CHECK_FALSE(df.global_args[1].decls[0].value);
  REQUIRE(df.stages.size() == 2);
  CHECK(df.stages[0].from.image == "${BASE}");
  CHECK(df.stages[0].from.name == "builder");
  CHECK(df.stages[0].line == 3);
  CHECK(df.stages[1].from.image == "scratch");
  CHECK(df.stages[1].from.platform == "linux/arm64");
  CHECK(df.find_stage("BUILDER") == 0u);
  CHECK(df.find_stage("1") == 1u);
  CHECK_FALSE(df.find_stage("2"));
  CHECK_FALSE(df.find_stage("nope"));
  CHECK(std::get<Copy>(df.stages[1].instructions[0].body).from == "builder");
}

TEST_CASE("dockerfile: exec and shell forms") {
  auto run = only<Run>("RUN [\"/bin/echo\", \"a b\"]");
  CHECK(run.command.exec_form);
  CHECK(run.command.args == Strings{"/bin/echo", "a b"});
  run = only<Run>("run echo \"$HOME\" && ls");
  CHECK_FALSE(run.command.exec_form);
  CHECK(run.command.shell == "echo \"$HOME\" && ls");
  // not valid JSON: shell form, as Docker does
  CHECK(only<Cmd>("CMD [not json]").command.shell == "[not json]");
  CHECK(only<Entrypoint>("ENTRYPOINT [\"/app\"]").command.args == Strings{"/app"});
  CHECK(only<Entrypoint>("ENTRYPOINT []").command.exec_form);
  run = only<Run>("RUN --mount=type=cache,target=/root/.cache --network=none --mount=type=secret,id=a go build");
  CHECK(run.mounts == Strings{"type=cache,target=/root/.cache", "type=secret,id=a"});
  CHECK(run.network == "none");
  CHECK(run.command.shell == "go build");
}

TEST_CASE("dockerfile: ENV, LABEL and ARG") {
  auto env = only<Env>("ENV A=1 B=\"two words\" C=a\\ b");
  REQUIRE(env.vars.size() == 3);
  CHECK(env.vars[1] == KeyValue{"B", "\"two words\""});
  CHECK(env.vars[2] == KeyValue{"C", "a\\ b"});
  env = only<Env>("ENV PATH /usr/local/bin:$PATH  ");
  REQUIRE(env.vars.size() == 1);
  CHECK(env.vars[0] == KeyValue{"PATH", "/usr/local/bin:$PATH"});
  auto label = only<Label>("LABEL org.opencontainers.image.title=\"cove app\" version=1");
  CHECK(label.labels[0].first == "org.opencontainers.image.title");
  auto arg = only<Arg>("ARG A=1 B");
  CHECK(arg.decls.size() == 2);
  CHECK(*arg.decls[0].value == "1");
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nENV A"), "Dockerfile:2: ENV must have two arguments", util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nENV A=1 B"), doctest::Contains("can't find = in \"B\""),
                       util::Error);
}

TEST_CASE("dockerfile: COPY and ADD") {
  auto copy = only<Copy>("COPY --chown=1000:1000 --chmod=0644 a.txt \"b c\" /dst/");
  CHECK_FALSE(copy.add);
  CHECK(copy.sources == Strings{"a.txt", "\"b", "c\""}); // not JSON: split on whitespace
  copy = only<Copy>("COPY [\"a b\", \"c\", \"/dst/\"]");
  CHECK(copy.sources == Strings{"a b", "c"});
  CHECK(copy.dest == "/dst/");
  copy = only<Copy>("COPY --link --parents src/ /app");
  CHECK(copy.link);
  CHECK(copy.parents);
  auto add = only<Copy>("ADD --checksum=sha256:abc https://example.com/x.tgz /x");
  CHECK(add.add);
  CHECK(add.checksum == "sha256:abc");
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nADD --from=a b c"), "Dockerfile:2: unknown flag: --from", util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nCOPY a"), "Dockerfile:2: COPY requires at least two arguments",
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nCOPY --from b c"), doctest::Contains("missing a value on flag: --from"),
                       util::Error);
}

TEST_CASE("dockerfile: the other instructions") {
  CHECK(only<Expose>("EXPOSE 80/tcp 443").ports == Strings{"80/tcp", "443"});
  CHECK(only<Volume>("VOLUME [\"/data\", \"/logs\"]").paths == Strings{"/data", "/logs"});
  CHECK(only<Volume>("VOLUME /data /logs").paths == Strings{"/data", "/logs"});
  CHECK(only<User>("USER app:app").user == "app:app");
  CHECK(only<Workdir>("WORKDIR /srv/my app").path == "/srv/my app");
  CHECK(only<Shell>("SHELL [\"/bin/bash\", \"-c\"]").args == Strings{"/bin/bash", "-c"});
  CHECK(only<Stopsignal>("STOPSIGNAL SIGTERM").signal == "SIGTERM");
  CHECK(only<Maintainer>("MAINTAINER Jo <jo@example.com>").name == "Jo <jo@example.com>");
  auto hc = only<Healthcheck>("HEALTHCHECK --interval=5s --retries=3 CMD [\"/check\"]");
  CHECK(hc.interval == "5s");
  CHECK(hc.retries == 3u);
  CHECK(hc.command.args == Strings{"/check"});
  CHECK(only<Healthcheck>("HEALTHCHECK NONE").none);
  CHECK(only<Onbuild>("ONBUILD run echo hi").trigger == "RUN echo hi");
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nSHELL /bin/sh"),
                       "Dockerfile:2: SHELL requires the arguments to be in JSON form", util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nONBUILD FROM y"), doctest::Contains("isn't allowed as an ONBUILD"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nHEALTHCHECK RUN x"), doctest::Contains("Unknown type"), util::Error);
}

TEST_CASE("dockerfile: continuations, comments, original text, line numbers") {
  auto df = parse_dockerfile("# comment\nFROM x\n\nRUN apt-get update && \\\n"
                             "# a comment inside\n\n    apt-get install -y \\  \n  curl\nUSER app\n");
  const auto& ins = df.stages[0].instructions;
  REQUIRE(ins.size() == 2);
  CHECK(ins[0].line == 4);
  CHECK(ins[0].keyword == "RUN");
  CHECK(std::get<Run>(ins[0].body).command.shell == "apt-get update &&     apt-get install -y   curl");
  CHECK(ins[0].original == "RUN apt-get update &&     apt-get install -y   curl");
  CHECK(ins[1].line == 9);
  // '#' only starts a comment at the start of a line
  CHECK(only<Run>("RUN echo a # b").command.shell == "echo a # b");
  // CRLF line ends
  CHECK(parse_dockerfile("FROM x\r\nUSER a\r\n").stages[0].instructions.size() == 1);
}

TEST_CASE("dockerfile: directives") {
  auto df = parse_dockerfile("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n  b\nCOPY a\\b c\n");
  CHECK(df.escape == '`');
  REQUIRE(df.notes.size() == 1);
  CHECK(df.notes[0].find("ignoring syntax directive") != std::string::npos);
  CHECK(std::get<Run>(df.stages[0].instructions[0].body).command.shell == "a   b");
  CHECK(std::get<Copy>(df.stages[0].instructions[1].body).sources == Strings{"a\\b"});
  // directives after a comment or an instruction are plain comments
  df = parse_dockerfile("# hello\n# escape=`\nFROM x\n");
  CHECK(df.escape == '\\');
  CHECK_THROWS_WITH_AS(parse_dockerfile("# escape=x\nFROM a"), doctest::Contains("Dockerfile:1: invalid escape token"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("# escape=`\n# escape=`\nFROM a"),
                       "Dockerfile:2: only one escape parser directive can be used", util::Error);
}

TEST_CASE("dockerfile: heredocs") {
  auto df = parse_dockerfile("FROM x\nRUN <<EOF\necho one\necho two\nEOF\nRUN cat <<-'END' > /f\n\tliteral $X\n\tEND\n"
                             "COPY <<A <<B /dst/\na body\nA\nb body\nB\nUSER u\n");
  const auto& ins = df.stages[0].instructions;
  REQUIRE(ins.size() == 4);
  const auto& r1 = std::get<Run>(ins[0].body);
  CHECK(r1.command.shell == "echo one\necho two\n");
  const auto& r2 = std::get<Run>(ins[1].body);
  REQUIRE(r2.heredocs.size() == 1);
  CHECK_FALSE(r2.heredocs[0].expand);
  CHECK(r2.heredocs[0].strip_tabs);
  CHECK(r2.command.shell == "cat <<-'END' > /f\nliteral $X\nEND");
  const auto& c = std::get<Copy>(ins[2].body);
  CHECK(c.sources.empty());
  REQUIRE(c.heredocs.size() == 2);
  CHECK(c.heredocs[0].name == "A");
  CHECK(c.heredocs[1].body == "b body\n");
  CHECK(c.dest == "/dst/");
  CHECK(ins[3].line == 14);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nRUN <<EOF\nnever closed\n"),
                       "Dockerfile:2: unterminated heredoc \"EOF\"", util::Error);
  // here-strings are left to the shell
  CHECK(std::get<Run>(parse_dockerfile("FROM x\nRUN cat <<<hi\n").stages[0].instructions[0].body).heredocs.empty());
}

TEST_CASE("dockerfile: errors name the file and line") {
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\n\n\n\n\n\nRNU make\n"), "Dockerfile:7: unknown instruction \"RNU\"",
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("RUN x\n", "Containerfile"),
                       doctest::Contains("Containerfile:1: RUN before the first FROM"), util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("# only a comment\n"), doctest::Contains("file with no instructions"),
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM a b\n"), "Dockerfile:1: FROM requires either one or three arguments",
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM a AS x\nFROM b AS X\n"), "Dockerfile:2: duplicate stage name \"x\"",
                       util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nRUN --bogus a\n"), "Dockerfile:2: unknown flag: --bogus", util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nRUN\n"), "Dockerfile:2: RUN requires at least one argument",
                       util::Error);
}

TEST_CASE("dockerfile: Go durations for HEALTHCHECK") {
  CHECK(parse_duration_ns("30s") == 30000000000LL);
  CHECK(parse_duration_ns("1m30s") == 90000000000LL);
  CHECK(parse_duration_ns("1.5h") == 5400000000000LL);
  CHECK(parse_duration_ns("500ms") == 500000000LL);
  CHECK(parse_duration_ns("0") == 0);
  CHECK_THROWS_WITH_AS(parse_duration_ns("5 s"), "invalid duration \"5 s\"", util::Error);
  CHECK_THROWS_AS(parse_duration_ns("s"), util::Error);
  CHECK_THROWS_AS(parse_duration_ns("5d"), util::Error);
  CHECK_THROWS_WITH_AS(parse_dockerfile("FROM x\nHEALTHCHECK --interval=soon CMD true"),
                       "Dockerfile:2: invalid duration \"soon\"", util::Error);
}

TEST_CASE("dockerfile: split_words keeps quotes") {
  CHECK(split_words("a \"b c\" 'd e'  f\\ g", '\\') == Strings{"a", "\"b c\"", "'d e'", "f\\ g"});
  CHECK(split_words("", '\\').empty());
}

TEST_SUITE_END();
