// HttpClient: one libcurl easy handle (RAII) for registry requests. Bodies go to a capped string
// or stream to a sink; redirects are followed here, not by curl, so Authorization is only ever
// sent to the host it was meant for.
#pragma once

#include "util/error.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace registry {

// Whether the server's TLS certificate is verified.
enum class TlsVerify { yes, no };

// What kind of network failure happened; callers branch on it (scheme fallback, retries).
enum class NetFailure {
  unreachable, // refused, unresolvable host, no route
  tls,         // handshake or certificate failure
  transient,   // timeout, reset, truncated transfer: worth one retry
  other
};

// A transfer that failed below HTTP (no status). what() says what to fix.
class NetworkError : public util::Error {
public:
  NetworkError(NetFailure kind, const std::string& message) : util::Error(message), m_kind(kind) {}
  NetFailure kind() const noexcept { return m_kind; }

private:
  NetFailure m_kind;
};

// Response headers in arrival order, looked up case-insensitively.
class Headers {
public:
  void add(std::string name, std::string value) {
    m_items.emplace_back(std::move(name), std::move(value));
  }
  void clear() { m_items.clear(); }
  // The first header named `name` (any case), or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return m_items; }

private:
  std::vector<std::pair<std::string, std::string>> m_items;
};

// Status and headers of the final response (after redirects) and, unless streamed, its body.
struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string url; // the URL that produced this response
};

// One request. `authorization` is a full header value ("Bearer x"), dropped on redirects to
// another scheme, host or port.
struct Request {
  std::string url;
  std::vector<std::string> headers; // "Name: value"
  std::optional<std::string> authorization;
};

// Receives streamed body bytes of a 2xx response; may throw to abort the transfer.
using Sink = std::function<void(const char* data, size_t size)>;

// Bytes of body kept from a non-2xx response while streaming (for error messages).
inline constexpr size_t error_body_cap = 64 * 1024;

class HttpClient {
public:
  explicit HttpClient(TlsVerify verify);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // GET with the body in Response::body; throws util::Error when it exceeds max_body.
  Response get(const Request& request, size_t max_body);
  // GET streaming a 2xx body to sink; a non-2xx body is kept (capped) in Response::body.
  Response get_stream(const Request& request, const Sink& sink);
  // HEAD: status and headers only.
  Response head(const Request& request);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// "scheme://host[:port]" of a URL, lower-cased, for same-origin checks.
std::string url_origin(std::string_view url);

// Resolves a Location header against the URL that returned it (absolute, "//host/..", "/path").
std::string resolve_location(std::string_view base_url, std::string_view location);

// Host part of a URL ("https://a.b:5000/x" -> "a.b:5000"), for messages.
std::string url_host(std::string_view url);

} // namespace registry
