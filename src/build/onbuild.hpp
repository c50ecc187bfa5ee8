// ONBUILD triggers: instructions a base image stored in its config (`OnBuild`) that run, in
// order, at the start of a stage built FROM it, as Docker does.
#pragma once
#include "build/dockerfile.hpp"

#include <string>
#include <vector>

namespace build {

// Parses the stored trigger texts ("RUN echo hi") into instructions. Throws util::Error naming
// the trigger when one does not parse or is not allowed as a trigger (FROM, MAINTAINER, ONBUILD).
std::vector<Instruction> onbuild_instructions(const std::vector<std::string>& triggers);

} // namespace build
