// RegistryClient: the Docker Registry HTTP API v2 for one registry host (manifests and blobs,
// with transport choice, token auth and digest verification).
#pragma once

#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "registry/auth.hpp"
#include "registry/http.hpp"
#include "registry/registries_conf.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace registry {

// How to talk to a registry: verified HTTPS, HTTPS without certificate checks, or plain HTTP.
enum class Scheme { https, https_insecure, http };

// True for localhost, 127.0.0.0/8 and ::1, with or without a port ("[::1]:5000").
bool is_loopback_registry(std::string_view registry);

// Transports to try, in order. An explicit tls_verify wins (false: insecure HTTPS then HTTP);
// otherwise loopback hosts use HTTP, registries.conf-insecure ones insecure HTTPS then HTTP,
// everything else verified HTTPS only.
std::vector<Scheme> choose_schemes(std::string_view registry, std::optional<bool> tls_verify,
                                   std::optional<bool> conf_insecure);

// The host that serves the API: docker.io -> registry-1.docker.io, others unchanged.
std::string api_host(std::string_view registry);

// Registry-wide settings from the command line.
struct ClientOptions {
  std::optional<bool> tls_verify; // --tls-verify; unset: registries.conf and the loopback rule
  std::string auth_file;          // --authfile; empty: the usual search (see auth.hpp)
};

// A manifest or index as served, already verified against the expected digest.
struct FetchedManifest {
  std::string bytes;
  std::string content_type; // without parameters
  image::Digest digest;     // sha256 of bytes
};

class RegistryClient {
public:
  // `registry` as in ImageRef::registry() ("docker.io", "localhost:5000"). Reads registries.conf.
  RegistryClient(std::string registry, ClientOptions options);
  // Same with an already loaded registries.conf (tests, or callers that hold one).
  RegistryClient(std::string registry, ClientOptions options, const RegistriesConf& conf);

  const std::string& registry() const noexcept { return m_registry; }
  // Transports this client will try, in order (see choose_schemes).
  const std::vector<Scheme>& schemes() const noexcept { return m_schemes; }

  // GET /v2/<repository>/manifests/<reference> (a tag or "sha256:.."). The body's sha256 must
  // equal `expected` when given, else the Docker-Content-Digest header when sent; its size must
  // equal `expected_size` when given. Throws "image not found: <ref> (manifest unknown)" on 404.
  FetchedManifest fetch_manifest(const std::string& repository, const std::string& reference,
                                 const std::optional<image::Digest>& expected = std::nullopt,
                                 std::optional<std::int64_t> expected_size = std::nullopt);

  // The digest `reference` currently resolves to (HEAD, falling back to GET when the registry
  // sends no Docker-Content-Digest).
  image::Digest resolve_digest(const std::string& repository, const std::string& reference);

  // Streams a blob to `sink` over `http` (one handle per thread: see make_http). Stops with an
  // error if more than blob.size bytes arrive; a short body is a NetworkError(transient). The
  // digest is checked by the consumer (storage::LayerIngest verifies while it stores).
  void fetch_blob(HttpClient& http, const std::string& repository, const image::Descriptor& blob,
                  const Sink& sink);
  // Same on the client's own handle.
  void fetch_blob(const std::string& repository, const image::Descriptor& blob, const Sink& sink);

  // A small blob (a config) in memory, digest and size verified.
  std::string fetch_blob_bytes(const std::string& repository, const image::Descriptor& blob);

  // A fresh HTTP handle with this registry's TLS mode, for a worker thread.
  HttpClient make_http();

private:
  // Picks the transport (probing /v2/ when there is a fallback); returns the base URL.
  std::string base_url();
  // Sends with cached auth; on 401 authenticates once and retries.
  template <typename Perform>
  Response send(HttpClient& http, Request request, const std::string& repository,
                const Perform& perform);
  std::optional<std::string> cached_authorization(const std::string& scope);
  void authenticate(HttpClient& http, const Response& challenge, const std::string& scope);
  const CredentialLookup& credentials();
  std::string display(const std::string& repository, const std::string& reference) const;

  std::string m_registry;
  std::string m_host; // api_host(m_registry)
  ClientOptions m_options;
  std::vector<Scheme> m_schemes;

  std::mutex m_mutex; // guards everything below (workers share the client)
  std::optional<Scheme> m_scheme;
  std::optional<CredentialLookup> m_credentials;
  std::map<std::string, std::string> m_auth_by_scope; // scope -> Authorization value
  std::optional<std::string> m_basic;                 // set when the registry wants Basic
  HttpClient m_http;                                  // used by the calling thread only
};

} // namespace registry
