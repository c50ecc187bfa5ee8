#include "registry/auth.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/paths.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>
#include <cstdlib>

namespace registry {

namespace {

// Cap on a token endpoint's answer; real tokens are a few KiB.
constexpr size_t token_body_cap = 1024 * 1024;

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Reads a header token: up to whitespace, ',', '=' or a quote.
std::string_view read_token(std::string_view text, size_t& pos) {
  size_t start = pos;
  while (pos < text.size() && !is_space(text[pos]) && text[pos] != ',' && text[pos] != '=' &&
         text[pos] != '"')
    ++pos;
  return text.substr(start, pos - start);
}

// Reads a quoted-string starting at the opening quote; handles backslash escapes.
std::string read_quoted(std::string_view header, size_t& pos) {
  std::string value;
  for (++pos; pos < header.size(); ++pos) {
    char c = header[pos];
    if (c == '"') {
      ++pos;
      return value;
    }
    if (c == '\\' && pos + 1 < header.size())
      c = header[++pos];
    value += c;
  }
  throw util::Error(
      util::cat("parse WWW-Authenticate ", util::quote(header), ": unterminated quoted string"));
}

void skip(std::string_view text, size_t& pos, bool commas) {
  while (pos < text.size() && (is_space(text[pos]) || (commas && text[pos] == ',')))
    ++pos;
}

// "https://index.docker.io/v1/" -> "index.docker.io"; "host:5000" stays.
std::string normalize_auth_key(std::string_view key) {
  size_t scheme = key.find("://");
  if (scheme != std::string_view::npos)
    key.remove_prefix(scheme + 3);
  key = key.substr(0, key.find('/'));
  return util::to_lower(key);
}

bool is_docker_hub(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

} // namespace

std::string AuthChallenge::param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  size_t pos = 0;
  while (true) {
    skip(header, pos, true);
    if (pos >= header.size())
      break;
    std::string_view token = read_token(header, pos);
    if (token.empty())
      throw util::Error(util::cat("parse WWW-Authenticate ", util::quote(header),
                                  ": unexpected character at offset ", pos));
    skip(header, pos, false);
    bool is_param = pos < header.size() && header[pos] == '=';
    if (!is_param) {
      challenges.push_back(AuthChallenge{util::to_lower(token), {}});
      continue;
    }
    if (challenges.empty())
      throw util::Error(util::cat("parse WWW-Authenticate ", util::quote(header),
                                  ": parameter before any scheme"));
    ++pos;
    skip(header, pos, false);
    std::string value;
    if (pos < header.size() && header[pos] == '"') {
      value = read_quoted(header, pos);
    } else {
      size_t start = pos; // lenient: unquoted values may hold '/' and ':' (realm=https://x)
      while (pos < header.size() && header[pos] != ',' && !is_space(header[pos]))
        ++pos;
      value = std::string(header.substr(start, pos - start));
    }
    challenges.back().params[util::to_lower(token)] = std::move(value);
  }
  return challenges;
}

std::optional<Credentials> parse_auth_file(std::string_view json_text, std::string_view registry,
                                           std::string_view origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw util::Error(util::cat("parse auth file ", origin, ": ", e.what()));
  }
  if (!doc.is_object() || !doc.contains("auths") || !doc["auths"].is_object())
    return std::nullopt;
  std::string wanted = util::to_lower(registry);
  const nlohmann::json* best = nullptr;
  std::string best_key;
  for (const auto& [key, entry] : doc["auths"].items()) {
    std::string host = normalize_auth_key(key);
    bool match = host == wanted || (is_docker_hub(wanted) && is_docker_hub(host));
    if (!match || !entry.is_object() || !entry.contains("auth") || !entry["auth"].is_string())
      continue;
    if (best == nullptr || key == registry) {
      best = &entry;
      best_key = key;
    }
  }
  if (best == nullptr)
    return std::nullopt;
  std::string decoded;
  try {
    decoded = base64_decode((*best)["auth"].get<std::string>());
  } catch (const util::Error& e) {
    throw util::Error(
        util::cat("auth file ", origin, ": entry ", util::quote(best_key), ": ", e.what()));
  }
  size_t colon = decoded.find(':');
  if (decoded.empty())
    return std::nullopt; // an empty "auth" means "no credentials stored here"
  if (colon == std::string::npos)
    throw util::Error(util::cat("auth file ", origin, ": entry ", util::quote(best_key),
                                ": \"auth\" is not base64 of user:password"));
  return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

std::vector<std::filesystem::path> auth_file_candidates(const std::string& override_file) {
  if (!override_file.empty())
    return {override_file};
  std::vector<std::filesystem::path> files;
  if (const char* env = std::getenv("REGISTRY_AUTH_FILE"); env != nullptr && *env != '\0')
    files.emplace_back(env);
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run != nullptr && *run != '\0')
    files.push_back(std::filesystem::path(run) / "containers/auth.json");
  files.push_back(util::paths::config_home() / "containers/auth.json");
  if (const char* docker = std::getenv("DOCKER_CONFIG"); docker != nullptr && *docker != '\0')
    files.push_back(std::filesystem::path(docker) / "config.json");
  else
    files.push_back(util::paths::home() / ".docker/config.json");
  return files;
}

CredentialLookup load_credentials(std::string_view registry, const std::string& override_file) {
  std::vector<std::filesystem::path> files = auth_file_candidates(override_file);
  for (const auto& file : files) {
    std::optional<std::string> text = util::read_file_if_exists(file);
    if (!text)
      continue;
    if (auto credentials = parse_auth_file(*text, registry, file.string())) {
      LOG_DEBUG("credentials for ", registry, " from ", file.string());
      return {std::move(credentials), file};
    }
  }
  return {std::nullopt, files.front()};
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                 static_cast<unsigned char>(bytes[i + 1]) << 8 |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += {alphabet[v >> 18], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], alphabet[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += {alphabet[v >> 18], alphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    unsigned v =
        static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += {alphabet[v >> 18], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    if (v < 0)
      throw util::Error(util::cat("invalid base64 character ", util::quote(std::string(1, c))));
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (bits >= 6)
    throw util::Error("invalid base64 length");
  return out;
}

std::string basic_authorization(const Credentials& credentials) {
  return "Basic " + base64_encode(credentials.username + ":" + credentials.password);
}

std::string pull_scope(std::string_view repository) {
  return util::cat("repository:", repository, ":pull");
}

std::string fetch_token(HttpClient& http, std::string_view registry, const AuthChallenge& challenge,
                        const std::string& scope, const CredentialLookup& credentials) {
  std::string realm = challenge.param("realm");
  if (realm.empty())
    throw util::Error("registry sent a Bearer challenge without a realm");
  Request request;
  request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (std::string service = challenge.param("service"); !service.empty())
    request.url += "service=" + percent_encode(service) + "&";
  request.url += "scope=" + percent_encode(scope);
  if (credentials.credentials)
    request.authorization = basic_authorization(*credentials.credentials);
  Response response = http.get(request, token_body_cap);
  if (response.status == 401 || response.status == 403) {
    if (credentials.credentials)
      throw util::Error(util::cat("authentication failed for ", registry, ": check credentials in ",
                                  credentials.file.string(), " or run `cove login`"));
    throw util::Error(util::cat(
        "authentication required for ", registry, " (token server answered HTTP ", response.status,
        "): add credentials to ", credentials.file.string(), " or run `cove login`"));
  }
  if (response.status != 200)
    throw util::Error(util::cat("fetch token from ", realm, ": HTTP ", response.status));
  try {
    auto doc = nlohmann::json::parse(response.body);
    for (const char* key : {"token", "access_token"})
      if (doc.contains(key) && doc[key].is_string() && !doc[key].get<std::string>().empty())
        return doc[key].get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw util::Error(util::cat("fetch token from ", realm, ": invalid JSON: ", e.what()));
  }
  throw util::Error(util::cat("fetch token from ", realm, ": no token in the answer"));
}

} // namespace registry
