// .dockerignore / .containerignore matching with Docker's rules (pure):
//   * one pattern a line, '#' lines are comments, blanks trimmed, paths cleaned, leading '/' dropped;
//   * `*` and `?` never match '/', `[a-z]` classes, the escape `\`, `**` any number of directories;
//   * `!pattern` re-includes; the last pattern that matches a path decides;
//   * a pattern that matches a directory matches everything below it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace build {

// A compiled ignore file.
class IgnoreMatcher {
public:
  // No patterns: nothing is ignored.
  IgnoreMatcher() = default;
  // Compiles the lines of an ignore file; throws util::Error on a bad pattern ("[a-").
  explicit IgnoreMatcher(std::string_view file_text);

  // True when `path` (relative to the context, '/'-separated) is excluded from the context.
  bool ignored(std::string_view path) const;
  // True when an excluded directory may still hold re-included entries, so a walk must descend.
  bool has_exceptions() const { return m_has_exceptions; }
  // True when there are no patterns at all.
  bool empty() const { return m_patterns.empty(); }

  // One pattern: its tokens, and whether it is an `!` exception.
  struct Pattern {
    enum class Kind { Literal, Star, One, Class, AnyDirs, AnyRest };
    struct Token {
      Kind kind;
      std::string text; // Literal: the char; Class: the set without brackets
    };
    std::vector<Token> tokens;
    bool exception = false;
  };

private:
  std::vector<Pattern> m_patterns;
  bool m_has_exceptions = false;
};

// Cleans a relative path the way Go's filepath.Clean does: "./a//b/../c/" -> "a/c", "" -> ".".
std::string clean_path(std::string_view path);

} // namespace build
