// Container names: validation, atomic claiming through names/<name> symlinks, and Docker-style
// generated names ("adjective_surname").
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace storage {

// Throws util::Error unless `name` matches Docker's rule [a-zA-Z0-9][a-zA-Z0-9_.-]* (max 253).
void validate_container_name(std::string_view name);

// Atomically creates names_dir/<name> -> id; false if the name is taken (EEXIST).
bool try_claim_name(const std::filesystem::path& names_dir, const std::string& name,
                    const std::string& id);

// Claims a random "adjective_surname" (with a numeric suffix after repeated clashes); returns it.
// `release_stale` is asked to free a taken name whose container no longer exists.
std::string claim_generated_name(const std::filesystem::path& names_dir, const std::string& id,
                                 const std::function<bool(const std::string&)>& release_stale);

// A random "adjective_surname" from the built-in word lists.
std::string random_container_name();

} // namespace storage
