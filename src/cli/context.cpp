#include "cli/context.hpp"

#include "storage/store.hpp"
#include "userns/reexec.hpp"
#include "util/paths.hpp"

namespace cli {

void enter_userns(const Invocation& inv) {
  userns::ensure_in_userns(inv.argc, inv.argv);
}

std::filesystem::path storage_root(const GlobalOptions& global) {
  if (!global.root.empty())
    return std::filesystem::absolute(global.root);
  return util::paths::default_storage_root();
}

std::filesystem::path runtime_root(const GlobalOptions& global) {
  if (!global.runroot.empty())
    return std::filesystem::absolute(global.runroot);
  return util::paths::default_runtime_root();
}

std::optional<runtime::RootfsDriver> driver_override(const GlobalOptions& global) {
  if (global.storage_driver.empty())
    return std::nullopt;
  return runtime::parse_driver(global.storage_driver);
}

std::unique_ptr<storage::Store> open_store(const Invocation& inv) {
  enter_userns(inv);
  return std::make_unique<storage::Store>(storage_root(inv.global));
}

runtime::RuntimeOptions make_runtime_options(const GlobalOptions& global) {
  runtime::RuntimeOptions options;
  options.runtime_root = runtime_root(global);
  util::paths::ensure_private_dir(options.runtime_root);
  options.driver = driver_override(global);
  return options;
}

} // namespace cli
