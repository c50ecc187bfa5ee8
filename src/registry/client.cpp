#include "registry/client.hpp"

#include "image/media_types.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

namespace registry {

namespace {

// Manifests are small; a bigger body is not a manifest (and must not fill memory).
constexpr size_t manifest_cap = 4 * 1024 * 1024;
// Configs are read into memory too; real ones are far below this.
constexpr std::int64_t config_cap = 64 * 1024 * 1024;

TlsVerify tls_mode(const std::vector<Scheme>& schemes) {
  bool insecure =
      std::find(schemes.begin(), schemes.end(), Scheme::https_insecure) != schemes.end();
  return insecure ? TlsVerify::no : TlsVerify::yes;
}

const char* scheme_prefix(Scheme scheme) {
  return scheme == Scheme::http ? "http://" : "https://";
}

// "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)" from a registry error body when it has one.
std::string describe_status(const Response& response) {
  std::string text = util::cat("HTTP ", response.status);
  try {
    auto doc = nlohmann::json::parse(response.body);
    if (doc.contains("errors") && doc["errors"].is_array() && !doc["errors"].empty()) {
      const auto& first = doc["errors"][0];
      text += util::cat(" (", first.value("code", std::string("?")), ": ",
                        first.value("message", std::string()), ")");
    }
  } catch (const nlohmann::json::exception&) {
    // Not a registry error document; the status alone is the message.
  }
  return text;
}

std::string strip_parameters(std::string_view content_type) {
  return std::string(util::trim(content_type.substr(0, content_type.find(';'))));
}

} // namespace

bool is_loopback_registry(std::string_view registry) {
  std::string host;
  if (!registry.empty() && registry.front() == '[') {
    host = std::string(registry.substr(1, registry.find(']') - 1));
  } else {
    host = std::string(registry.substr(0, registry.find(':')));
    if (std::count(registry.begin(), registry.end(), ':') > 1)
      host = std::string(registry); // a bare IPv6 literal
  }
  host = util::to_lower(host);
  if (host == "localhost")
    return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::vector<Scheme> choose_schemes(std::string_view registry, std::optional<bool> tls_verify,
                                   std::optional<bool> conf_insecure) {
  if (tls_verify)
    return *tls_verify ? std::vector{Scheme::https}
                       : std::vector{Scheme::https_insecure, Scheme::http};
  if (is_loopback_registry(registry))
    return {Scheme::http};
  if (conf_insecure.value_or(false))
    return {Scheme::https_insecure, Scheme::http};
  return {Scheme::https};
}

std::string api_host(std::string_view registry) {
  if (registry == "docker.io" || registry == "index.docker.io")
    return "registry-1.docker.io";
  return std::string(registry);
}

RegistryClient::RegistryClient(std::string registry, ClientOptions options)
    // A copy, not a move: the order in which arguments are evaluated is unspecified.
    : RegistryClient(std::move(registry), ClientOptions(options),
                     options.tls_verify ? RegistriesConf{} : load_registries_conf()) {}

RegistryClient::RegistryClient(std::string registry, ClientOptions options,
                               const RegistriesConf& conf)
    : m_registry(std::move(registry)), m_host(api_host(m_registry)), m_options(std::move(options)),
      m_schemes(choose_schemes(m_registry, m_options.tls_verify, conf.insecure_for(m_registry))),
      m_http(tls_mode(m_schemes)) {
  if (m_schemes.size() == 1)
    m_scheme = m_schemes.front();
}

HttpClient RegistryClient::make_http() {
  return HttpClient(tls_mode(m_schemes));
}

std::string RegistryClient::base_url() {
  std::lock_guard lock(m_mutex);
  if (m_scheme)
    return scheme_prefix(*m_scheme) + m_host;
  // Several transports: the first that answers /v2/ with any HTTP status wins.
  for (size_t i = 0; i < m_schemes.size(); ++i) {
    std::string base = scheme_prefix(m_schemes[i]) + m_host;
    try {
      m_http.get(Request{base + "/v2/", {}, std::nullopt}, manifest_cap);
      m_scheme = m_schemes[i];
      LOG_DEBUG("registry ", m_registry, ": using ", base);
      return base;
    } catch (const NetworkError& e) {
      if (i + 1 == m_schemes.size())
        throw;
      LOG_DEBUG("registry ", m_registry, ": ", base, " failed (", e.what(), "), trying the next");
    }
  }
  throw util::Error(util::cat("registry ", m_registry, ": no transport to try"));
}

const CredentialLookup& RegistryClient::credentials() {
  // Called with m_mutex held.
  if (!m_credentials)
    m_credentials = load_credentials(m_registry, m_options.auth_file);
  return *m_credentials;
}

std::optional<std::string> RegistryClient::cached_authorization(const std::string& scope) {
  std::lock_guard lock(m_mutex);
  if (m_basic)
    return m_basic;
  auto it = m_auth_by_scope.find(scope);
  if (it == m_auth_by_scope.end())
    return std::nullopt;
  return it->second;
}

void RegistryClient::authenticate(HttpClient& http, const Response& response,
                                  const std::string& scope) {
  auto header = response.headers.get("www-authenticate");
  if (!header)
    throw util::Error(
        util::cat("registry ", m_registry, ": HTTP 401 without a WWW-Authenticate challenge"));
  std::vector<AuthChallenge> challenges = parse_www_authenticate(*header);
  auto bearer = std::find_if(challenges.begin(), challenges.end(),
                             [](const AuthChallenge& c) { return c.scheme == "bearer"; });
  std::lock_guard lock(m_mutex);
  const CredentialLookup& creds = credentials();
  if (bearer != challenges.end()) {
    // The token request is made under the lock so parallel workers share one token.
    std::string token = fetch_token(http, m_registry, *bearer, scope, creds);
    m_auth_by_scope[scope] = "Bearer " + token;
    LOG_DEBUG("registry ", m_registry, ": bearer token for ", scope);
    return;
  }
  bool basic = std::any_of(challenges.begin(), challenges.end(),
                           [](const AuthChallenge& c) { return c.scheme == "basic"; });
  if (!basic)
    throw util::Error(util::cat("registry ", m_registry, ": unsupported authentication scheme in ",
                                util::quote(*header)));
  if (!creds.credentials)
    throw util::Error(util::cat("authentication required for ", m_registry, ": add credentials to ",
                                creds.file.string(), " or run `cove login`"));
  m_basic = basic_authorization(*creds.credentials);
}

template <typename Perform>
Response RegistryClient::send(HttpClient& http, Request request, const std::string& repository,
                              const Perform& perform) {
  std::string scope = pull_scope(repository);
  request.authorization = cached_authorization(scope);
  Response response = perform(http, request);
  if (response.status != 401)
    return response;
  // First 401 (or an expired token): authenticate once and retry.
  authenticate(http, response, scope);
  request.authorization = cached_authorization(scope);
  response = perform(http, request);
  if (response.status != 401)
    return response;
  std::lock_guard lock(m_mutex);
  const CredentialLookup& creds = credentials();
  if (creds.credentials)
    throw util::Error(util::cat("authentication failed for ", m_registry, ": check credentials in ",
                                creds.file.string(), " or run `cove login`"));
  throw util::Error(util::cat("access to ", m_registry, "/", repository,
                              " denied: the repository does not exist or needs credentials (add "
                              "them to ",
                              creds.file.string(), " or run `cove login`)"));
}

std::string RegistryClient::display(const std::string& repository,
                                    const std::string& reference) const {
  bool is_digest = reference.find(':') != std::string::npos;
  return util::cat(m_registry, "/", repository, is_digest ? "@" : ":", reference);
}

FetchedManifest RegistryClient::fetch_manifest(const std::string& repository,
                                               const std::string& reference,
                                               const std::optional<image::Digest>& expected,
                                               std::optional<std::int64_t> expected_size) {
  Request request{base_url() + "/v2/" + repository + "/manifests/" + reference,
                  {util::cat("Accept: ", image::media::manifest_accept)},
                  std::nullopt};
  Response response = send(m_http, request, repository, [](HttpClient& http, const Request& r) {
    return http.get(r, manifest_cap);
  });
  if (response.status == 404)
    throw util::Error(
        util::cat("image not found: ", display(repository, reference), " (manifest unknown)"));
  if (response.status != 200)
    throw util::Error(util::cat("fetch manifest ", display(repository, reference), ": ",
                                describe_status(response)));
  image::Digest actual = image::Digest::sha256_of(response.body);
  std::optional<image::Digest> want = expected;
  if (!want) {
    if (auto header = response.headers.get("docker-content-digest")) {
      try {
        want = image::Digest::parse(*header);
      } catch (const util::Error& e) {
        LOG_DEBUG("ignoring Docker-Content-Digest ", util::quote(*header), ": ", e.what());
      }
    }
  }
  if (want && *want != actual)
    throw util::Error(
        util::cat("manifest digest mismatch: expected ", want->str(), " got ", actual.str()));
  if (expected_size && static_cast<std::int64_t>(response.body.size()) != *expected_size)
    throw util::Error(util::cat("manifest size mismatch for ", actual.str(), ": expected ",
                                *expected_size, " bytes got ", response.body.size()));
  auto content_type = response.headers.get("content-type");
  return {std::move(response.body), strip_parameters(content_type.value_or("")), actual};
}

image::Digest RegistryClient::resolve_digest(const std::string& repository,
                                             const std::string& reference) {
  Request request{base_url() + "/v2/" + repository + "/manifests/" + reference,
                  {util::cat("Accept: ", image::media::manifest_accept)},
                  std::nullopt};
  Response response = send(m_http, request, repository,
                           [](HttpClient& http, const Request& r) { return http.head(r); });
  if (response.status == 404)
    throw util::Error(
        util::cat("image not found: ", display(repository, reference), " (manifest unknown)"));
  if (response.status == 200) {
    if (auto header = response.headers.get("docker-content-digest"))
      return image::Digest::parse(*header);
  }
  return fetch_manifest(repository, reference).digest;
}

void RegistryClient::fetch_blob(HttpClient& http, const std::string& repository,
                                const image::Descriptor& blob, const Sink& sink) {
  Request request{
      base_url() + "/v2/" + repository + "/blobs/" + blob.digest.str(), {}, std::nullopt};
  std::int64_t received = 0;
  Sink counting = [&](const char* data, size_t size) {
    received += static_cast<std::int64_t>(size);
    if (received > blob.size)
      throw util::Error(util::cat("blob ", blob.digest.str(), " size mismatch: expected ",
                                  blob.size, " bytes, got more"));
    sink(data, size);
  };
  Response response = send(http, request, repository, [&](HttpClient& h, const Request& r) {
    return h.get_stream(r, counting);
  });
  if (response.status == 404)
    throw util::Error(util::cat("blob ", blob.digest.str(), " not found in ", m_registry, "/",
                                repository, " (blob unknown)"));
  if (response.status != 200)
    throw util::Error(util::cat("fetch blob ", blob.digest.str(), ": ", describe_status(response)));
  if (received != blob.size)
    throw NetworkError(NetFailure::transient,
                       util::cat("blob ", blob.digest.str(), ": connection closed after ", received,
                                 " of ", blob.size, " bytes"));
}

void RegistryClient::fetch_blob(const std::string& repository, const image::Descriptor& blob,
                                const Sink& sink) {
  fetch_blob(m_http, repository, blob, sink);
}

std::string RegistryClient::fetch_blob_bytes(const std::string& repository,
                                             const image::Descriptor& blob) {
  if (blob.size > config_cap)
    throw util::Error(util::cat("blob ", blob.digest.str(), " is too large to read into memory (",
                                blob.size, " bytes)"));
  std::string bytes;
  bytes.reserve(static_cast<size_t>(blob.size));
  fetch_blob(repository, blob,
             [&bytes](const char* data, size_t size) { bytes.append(data, size); });
  image::Digest actual = image::Digest::sha256_of(bytes);
  if (actual != blob.digest)
    throw util::Error(
        util::cat("blob digest mismatch: expected ", blob.digest.str(), " got ", actual.str()));
  return bytes;
}

} // namespace registry
