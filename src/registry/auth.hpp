// Registry authentication: WWW-Authenticate challenges (pure parser), Bearer token fetch, and
// credentials from the auth files podman and Docker write.
#pragma once

#include "registry/http.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace registry {

// One challenge from a WWW-Authenticate header.
struct AuthChallenge {
  std::string scheme;                        // lower case: "bearer", "basic"
  std::map<std::string, std::string> params; // keys lower case: realm, service, scope, error...

  // The parameter's value, or "" when absent.
  std::string param(const std::string& key) const;
};

// Parses a WWW-Authenticate value, which may hold several challenges
// ('Bearer realm="https://a/token",service="reg",scope="repository:x:pull", Basic realm="r"').
// Quoted values may contain commas and backslash escapes. Throws util::Error quoting the header
// when it cannot be parsed.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

// A user name and password for one registry.
struct Credentials {
  std::string username;
  std::string password;
};

// Credentials plus the file they came from (named in "authentication failed" errors).
struct CredentialLookup {
  std::optional<Credentials> credentials;
  std::filesystem::path file; // where they were found, else the first file we would read
};

// Looks up `registry` in the "auths" map of an auth.json / Docker config.json text. Keys may be
// "host", "https://host[/v1/]"; docker.io also matches "https://index.docker.io/v1/". The "auth"
// field is base64("user:password"). Throws util::Error naming `origin` for malformed JSON.
std::optional<Credentials> parse_auth_file(std::string_view json_text, std::string_view registry,
                                           std::string_view origin);

// Files searched, in order: `override_file` alone when set; else $REGISTRY_AUTH_FILE,
// $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, ~/.docker/config.json.
std::vector<std::filesystem::path> auth_file_candidates(const std::string& override_file);

// Credentials for `registry` from the first candidate file that has an entry for it.
CredentialLookup load_credentials(std::string_view registry, const std::string& override_file);

// Standard base64 (RFC 4648, padding optional on input). decode throws util::Error on bad input.
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

// "Basic <base64(user:password)>"
std::string basic_authorization(const Credentials& credentials);

// Scope string for pulling a repository: "repository:<name>:pull".
std::string pull_scope(std::string_view repository);

// Asks the challenge's realm for a token (GET realm?service=..&scope=..), sending Basic
// credentials when known. Returns the "token" (or "access_token") of the JSON answer. A 401 from
// the realm means the credentials are wrong: the error names `registry` and the credentials file.
std::string fetch_token(HttpClient& http, std::string_view registry, const AuthChallenge& challenge,
                        const std::string& scope, const CredentialLookup& credentials);

} // namespace registry
