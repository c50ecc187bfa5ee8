#include "cli/arg_scan.hpp"

namespace cli {
namespace {

// Looks `name` up in `app` and then its parents, as CLI11's fallthrough does.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* opt = app->get_option_no_throw(name))
      return opt;
  }
  return nullptr;
}

bool takes_value(const CLI::Option* opt) {
  return opt != nullptr && opt->get_items_expected_min() > 0;
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& word) {
  auto found = app->get_subcommands([&](const CLI::App* sub) { return sub->check_name(word); });
  return found.empty() ? nullptr : found.front();
}

// Expands a cluster of short options ("-it", "-eA=1", "-ite") into one word per option and value,
// since CLI11 2.1 loses the value of a valued option that ends a cluster. Returns the words and
// whether the next argument is the last option's value.
std::pair<std::vector<std::string>, bool> expand_short_cluster(const CLI::App* app,
                                                                const std::string& arg) {
  std::vector<std::string> words;
  for (size_t j = 1; j < arg.size(); ++j) {
    const CLI::Option* opt = find_option(app, std::string{'-', arg[j]});
    if (opt == nullptr)
      return {{arg}, false}; // unknown: CLI11 reports it
    words.push_back(std::string{'-', arg[j]});
    if (takes_value(opt)) {
      if (j + 1 == arg.size())
        return {words, true};
      words.push_back(arg.substr(j + 1));
      return {words, false};
    }
  }
  return {words, false};
}

} // namespace

void add_list_option(CLI::App& cmd, const std::string& names, std::vector<std::string>& into,
                     const std::string& help) {
  cmd.add_option(names, into, help)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::string command_path(const CLI::App& app) {
  std::string path;
  for (const CLI::App* a = &app; a->get_parent() != nullptr; a = a->get_parent())
    path = path.empty() ? a->get_name() : a->get_name() + " " + path;
  return path;
}

SplitArgs split_command_args(const CLI::App& app, std::vector<std::string> args,
                             const ScanRules& rules) {
  const CLI::App* current = &app;
  auto split_at = [&](size_t from, size_t to) {
    SplitArgs split;
    const auto begin = args.begin();
    split.command.assign(begin + static_cast<std::ptrdiff_t>(to), args.end());
    split.options.assign(begin, begin + static_cast<std::ptrdiff_t>(from));
    return split;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool taker = rules.command_takers.count(command_path(*current)) != 0;
    if (arg == "--") {
      if (taker)
        return split_at(i, i + 1);
      break;
    }
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      size_t eq = arg.find('=');
      std::string name = arg.substr(0, eq);
      if (auto rule = rules.optional_values.find(name);
          rule != rules.optional_values.end() && eq == std::string::npos) {
        if (i + 1 < args.size() && rule->second.values.count(args[i + 1]) != 0)
          ++i;
        else
          args[i] = name + "=" + rule->second.implicit;
        continue;
      }
      if (!takes_value(find_option(current, name)))
        continue;
      if (eq == std::string::npos) {
        ++i;
      } else if (eq + 1 == arg.size()) {
        // "--entrypoint=" means an empty value, which CLI11 would reject as missing.
        args[i] = name;
        args.insert(args.begin() + static_cast<std::ptrdiff_t>(++i), std::string());
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      auto [words, value_follows] = expand_short_cluster(current, arg);
      const auto at = args.begin() + static_cast<std::ptrdiff_t>(i);
      args.insert(args.erase(at), words.begin(), words.end());
      i += words.size() - 1 + (value_follows ? 1 : 0);
      continue;
    }
    if (const CLI::App* sub = find_subcommand(current, arg)) {
      current = sub;
      continue;
    }
    if (taker)
      return split_at(i, i);
    break;
  }
  return SplitArgs{std::move(args), {}};
}

} // namespace cli
