// Variable substitution in Dockerfile words, with Docker's rules (pure).
//   $VAR ${VAR}                 value, or "" when unset
//   ${VAR:-w} ${VAR-w}          w when unset or empty (without ':' only when unset)
//   ${VAR:+w} ${VAR+w}          w when set and non-empty (without ':' when set)
//   ${VAR:?w} ${VAR?w}          error "VAR: w" when unset or empty
//   ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p}   shortest/longest prefix/suffix glob removed
// Single quotes are literal, double quotes allow `$`, the escape char quotes the next char;
// quotes and escapes are removed from the result.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace build {

// The ARG and ENV values visible to one instruction; a name absent from the map is unset.
using Vars = std::map<std::string, std::string, std::less<>>;

// Expands one word; throws util::Error on bad syntax ("syntax error: missing '}'").
std::string expand_word(std::string_view word, const Vars& vars, char escape = '\\');

// Expands and splits on unquoted whitespace, including whitespace that came from a value.
std::vector<std::string> expand_words(std::string_view text, const Vars& vars, char escape = '\\');

} // namespace build
