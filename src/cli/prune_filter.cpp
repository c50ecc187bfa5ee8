#include "cli/prune_filter.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <unistd.h>

#include <iostream>

namespace cli {

LabelFilter LabelFilter::parse(std::string_view text) {
  LabelFilter filter;
  std::string_view rest;
  if (text.substr(0, 6) == "label=") {
    rest = text.substr(6);
  } else if (text.substr(0, 7) == "label!=") {
    rest = text.substr(7);
    filter.negated = true;
  } else {
    throw util::Error(util::cat("invalid filter ", util::quote(text),
                                ": use label=KEY[=VALUE] or label!=KEY[=VALUE]"));
  }
  size_t eq = rest.find('=');
  filter.key = std::string(rest.substr(0, eq));
  if (eq != std::string_view::npos) {
    filter.value = std::string(rest.substr(eq + 1));
    filter.has_value = true;
  }
  if (filter.key.empty())
    throw util::Error(util::cat("invalid filter ", util::quote(text), ": the label key is empty"));
  return filter;
}

bool LabelFilter::matches(const std::map<std::string, std::string>& labels) const {
  auto found = labels.find(key);
  bool hit = found != labels.end() && (!has_value || found->second == value);
  return hit != negated;
}

std::vector<LabelFilter> parse_label_filters(const std::vector<std::string>& texts) {
  std::vector<LabelFilter> filters;
  for (const std::string& text : texts)
    filters.push_back(LabelFilter::parse(text));
  return filters;
}

bool matches_all(const std::vector<LabelFilter>& filters,
                 const std::map<std::string, std::string>& labels) {
  for (const LabelFilter& filter : filters)
    if (!filter.matches(labels))
      return false;
  return true;
}

bool confirm_prune(std::string_view warning, const std::vector<std::string>& listing) {
  if (::isatty(STDIN_FILENO) == 0)
    return true;
  std::cout << warning << '\n';
  for (const std::string& line : listing)
    std::cout << line << '\n';
  std::cout << "Are you sure you want to continue? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

} // namespace cli
