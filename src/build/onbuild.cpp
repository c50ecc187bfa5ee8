#include "build/onbuild.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

namespace build {

std::vector<Instruction> onbuild_instructions(const std::vector<std::string>& triggers) {
  std::vector<Instruction> out;
  for (const auto& text : triggers) {
    try {
      // Each trigger is parsed as the only instruction of a stage, with the parser's own rules.
      auto df = parse_dockerfile(util::cat("FROM scratch\n", text, "\n"), "ONBUILD");
      if (df.stages.size() != 1 || df.stages[0].instructions.size() != 1)
        throw util::Error("expected exactly one instruction");
      auto& ins = df.stages[0].instructions[0];
      if (ins.keyword == "ONBUILD" || ins.keyword == "FROM" || ins.keyword == "MAINTAINER")
        throw util::Error(util::cat(ins.keyword, " isn't allowed as an ONBUILD trigger"));
      ins.line = 0;
      out.push_back(std::move(ins));
    } catch (const util::Error&) {
      util::rethrow_with_context(util::cat("ONBUILD trigger ", util::quote(text)));
    }
  }
  return out;
}

} // namespace build
