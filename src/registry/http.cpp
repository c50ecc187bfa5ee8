#include "registry/http.hpp"

#include "registry/curl_api.hpp"

#include "util/log.hpp"
#include "util/strings.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <exception>
#include <mutex>

namespace registry {

namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const noexcept { curl_api().easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_api().slist_free_all(list); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

constexpr int max_redirects = 10;
constexpr long connect_timeout_s = 30;
// A transfer slower than this for this long is aborted (a stalled registry or CDN).
constexpr long low_speed_bytes = 1024;
constexpr long low_speed_seconds = 60;
constexpr long receive_buffer = 256 * 1024;

// curl_global_init is not thread-safe and must run before the first handle; once per process.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_api().global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw util::Error("initialize libcurl: curl_global_init failed");
  });
}

enum class Method { get, head };

// Per-transfer state shared with the C callbacks.
struct Transfer {
  Response* response = nullptr;
  const Sink* sink = nullptr; // stream 2xx bodies here; otherwise collect into response->body
  size_t max_body = 0;
  std::exception_ptr error; // thrown by a sink or the size cap; rethrown after curl returns
};

bool is_success(long status) {
  return status >= 200 && status < 300;
}
bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

size_t on_header(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(buffer, size * count);
  line = util::trim(line);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a 100-continue or a proxy CONNECT): only the last one counts.
    transfer->response->headers.clear();
    size_t space = line.find(' ');
    transfer->response->status =
        space == std::string_view::npos ? 0 : std::strtol(line.data() + space + 1, nullptr, 10);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos)
    transfer->response->headers.add(std::string(util::trim(line.substr(0, colon))),
                                    std::string(util::trim(line.substr(colon + 1))));
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = transfer->response->status;
  if (is_redirect(status))
    return n; // the body of a redirect is never used
  if (transfer->sink != nullptr && is_success(status)) {
    try {
      (*transfer->sink)(data, n);
    } catch (...) {
      transfer->error = std::current_exception();
      return 0; // aborts the transfer with CURLE_WRITE_ERROR
    }
    return n;
  }
  std::string& body = transfer->response->body;
  if (body.size() + n > transfer->max_body) {
    if (transfer->sink != nullptr) { // an error body while streaming: keep the start only
      body.append(data, transfer->max_body - body.size());
      return n;
    }
    transfer->error = std::make_exception_ptr(util::Error(util::cat(
        "GET ", transfer->response->url, ": response larger than ", transfer->max_body, " bytes")));
    return 0;
  }
  body.append(data, n);
  return n;
}

bool is_tls_failure(CURLcode rc) {
  switch (rc) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
    return true;
  default:
    return false;
  }
}

bool is_transient(CURLcode rc) {
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

// Turns a libcurl failure into an error that says what to fix.
[[noreturn]] void throw_curl_error(CURLcode rc, const std::string& url, const char* errbuf) {
  std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_api().easy_strerror(rc);
  std::string host = url_host(url);
  if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
      rc == CURLE_COULDNT_RESOLVE_PROXY)
    throw NetworkError(NetFailure::unreachable,
                       util::cat("registry ", host, " unreachable: ", detail));
  if (is_tls_failure(rc))
    throw NetworkError(NetFailure::tls,
                       util::cat("TLS connection to ", host, " failed: ", detail,
                                 " (if this registry speaks plain HTTP, use --tls-verify=false or "
                                 "mark it insecure in registries.conf)"));
  if (is_transient(rc))
    throw NetworkError(NetFailure::transient, util::cat("GET ", url, ": ", detail));
  throw NetworkError(NetFailure::other, util::cat("GET ", url, ": ", detail));
}

template <typename T> void set_opt(CURL* handle, CURLoption option, T value) {
  CURLcode rc = curl_api().easy_setopt(handle, option, value);
  if (rc != CURLE_OK)
    throw util::Error(util::cat("configure libcurl (option ", static_cast<int>(option),
                                "): ", curl_api().easy_strerror(rc)));
}

} // namespace

struct HttpClient::Impl {
  CurlPtr handle;
  TlsVerify verify;
  char errbuf[CURL_ERROR_SIZE] = {};

  // One request/response, no redirect handling.
  Response perform(Method method, const std::string& url, const Request& request,
                   const std::optional<std::string>& authorization, const Sink* sink,
                   size_t max_body);
  // Follows redirects, dropping Authorization when the origin changes.
  Response run(Method method, const Request& request, const Sink* sink, size_t max_body);
};

Response HttpClient::Impl::perform(Method method, const std::string& url, const Request& request,
                                   const std::optional<std::string>& authorization,
                                   const Sink* sink, size_t max_body) {
  CURL* h = handle.get();
  curl_api().easy_reset(h); // keeps the connection cache, so keep-alive still works
  SlistPtr headers;
  auto append = [&headers](const std::string& line) {
    curl_slist* next = curl_api().slist_append(headers.get(), line.c_str());
    if (next == nullptr)
      throw util::Error("build HTTP request headers: out of memory");
    (void)headers.release();
    headers.reset(next);
  };
  for (const auto& line : request.headers)
    append(line);
  if (authorization)
    append("Authorization: " + *authorization);

  Response response;
  response.url = url;
  Transfer transfer{&response, sink, max_body, nullptr};
  errbuf[0] = '\0';
  set_opt(h, CURLOPT_URL, url.c_str());
  set_opt(h, CURLOPT_HTTPHEADER, headers.get());
  set_opt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  set_opt(h, CURLOPT_FOLLOWLOCATION, 0L);
  set_opt(h, CURLOPT_NOSIGNAL, 1L); // worker threads: no SIGALRM for DNS timeouts
  set_opt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout_s);
  set_opt(h, CURLOPT_LOW_SPEED_LIMIT, low_speed_bytes);
  set_opt(h, CURLOPT_LOW_SPEED_TIME, low_speed_seconds);
  set_opt(h, CURLOPT_BUFFERSIZE, receive_buffer);
  set_opt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  set_opt(h, CURLOPT_USERAGENT, "cove/" COVE_VERSION);
  set_opt(h, CURLOPT_ERRORBUFFER, errbuf);
  set_opt(h, CURLOPT_SSL_VERIFYPEER, verify == TlsVerify::yes ? 1L : 0L);
  set_opt(h, CURLOPT_SSL_VERIFYHOST, verify == TlsVerify::yes ? 2L : 0L);
  set_opt(h, CURLOPT_HEADERFUNCTION, &on_header);
  set_opt(h, CURLOPT_HEADERDATA, &transfer);
  set_opt(h, CURLOPT_WRITEFUNCTION, &on_body);
  set_opt(h, CURLOPT_WRITEDATA, &transfer);
  if (method == Method::head)
    set_opt(h, CURLOPT_NOBODY, 1L);
  else
    set_opt(h, CURLOPT_HTTPGET, 1L);

  LOG_DEBUG(method == Method::head ? "HEAD " : "GET ", url);
  CURLcode rc = curl_api().easy_perform(h);
  if (transfer.error)
    std::rethrow_exception(transfer.error);
  if (rc != CURLE_OK)
    throw_curl_error(rc, url, errbuf);
  LOG_DEBUG("HTTP ", response.status, " from ", url);
  return response;
}

Response HttpClient::Impl::run(Method method, const Request& request, const Sink* sink,
                               size_t max_body) {
  std::string url = request.url;
  std::optional<std::string> authorization = request.authorization;
  const std::string origin = url_origin(url);
  for (int hop = 0; hop <= max_redirects; ++hop) {
    Response response = perform(method, url, request, authorization, sink, max_body);
    if (!is_redirect(response.status))
      return response;
    auto location = response.headers.get("location");
    if (!location)
      return response;
    std::string next = resolve_location(url, *location);
    // Blob redirects usually go to a CDN or object store: credentials for the registry must
    // not travel there.
    if (authorization && url_origin(next) != origin) {
      LOG_DEBUG("redirect to ", url_origin(next), ": not sending registry credentials");
      authorization.reset();
    }
    url = std::move(next);
  }
  throw util::Error(util::cat("GET ", request.url, ": more than ", max_redirects, " redirects"));
}

HttpClient::HttpClient(TlsVerify verify) : m_impl(std::make_unique<Impl>()) {
  global_init();
  m_impl->handle.reset(curl_api().easy_init());
  if (!m_impl->handle)
    throw util::Error("create libcurl handle: curl_easy_init failed");
  m_impl->verify = verify;
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Response HttpClient::get(const Request& request, size_t max_body) {
  return m_impl->run(Method::get, request, nullptr, max_body);
}

Response HttpClient::get_stream(const Request& request, const Sink& sink) {
  return m_impl->run(Method::get, request, &sink, error_body_cap);
}

Response HttpClient::head(const Request& request) {
  return m_impl->run(Method::head, request, nullptr, 0);
}

std::optional<std::string> Headers::get(std::string_view name) const {
  std::string wanted = util::to_lower(name);
  for (const auto& [key, value] : m_items)
    if (util::to_lower(key) == wanted)
      return value;
  return std::nullopt;
}

namespace {
struct UrlParts {
  std::string scheme;
  std::string authority;
  std::string rest; // path, query, fragment
};

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    parts.rest = std::string(url);
    return parts;
  }
  parts.scheme = util::to_lower(url.substr(0, sep));
  std::string_view after = url.substr(sep + 3);
  size_t end = after.find_first_of("/?#");
  parts.authority = std::string(after.substr(0, end));
  if (end != std::string_view::npos)
    parts.rest = std::string(after.substr(end));
  size_t at = parts.authority.rfind('@');
  if (at != std::string::npos)
    parts.authority.erase(0, at + 1);
  return parts;
}
} // namespace

std::string url_host(std::string_view url) {
  return split_url(url).authority;
}

std::string url_origin(std::string_view url) {
  UrlParts parts = split_url(url);
  std::string host = util::to_lower(parts.authority);
  size_t bracket = host.rfind(']'); // an IPv6 literal's colons are not a port
  if (host.find(':', bracket == std::string::npos ? 0 : bracket) == std::string::npos)
    host += parts.scheme == "http" ? ":80" : ":443";
  return parts.scheme + "://" + host;
}

std::string resolve_location(std::string_view base_url, std::string_view location) {
  if (location.find("://") != std::string_view::npos &&
      location.find("://") < location.find_first_of("/?#"))
    return std::string(location);
  UrlParts base = split_url(base_url);
  if (location.rfind("//", 0) == 0)
    return base.scheme + ":" + std::string(location);
  std::string root = base.scheme + "://" + base.authority;
  if (!location.empty() && location.front() == '/')
    return root + std::string(location);
  std::string path = base.rest.substr(0, base.rest.find_first_of("?#"));
  size_t slash = path.rfind('/');
  path = slash == std::string::npos ? "/" : path.substr(0, slash + 1);
  return root + path + std::string(location);
}

} // namespace registry
