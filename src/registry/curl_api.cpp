#include "registry/curl_api.hpp"

#include "util/dynlib.hpp"

namespace registry {

namespace {
CurlApi load() {
  static const util::DynamicLibrary library("libcurl.so.4", "libcurl4");
  CurlApi api{};
  api.global_init = library.function<decltype(api.global_init)>("curl_global_init");
  api.easy_init = library.function<decltype(api.easy_init)>("curl_easy_init");
  api.easy_cleanup = library.function<decltype(api.easy_cleanup)>("curl_easy_cleanup");
  api.easy_reset = library.function<decltype(api.easy_reset)>("curl_easy_reset");
  api.easy_setopt = library.function<decltype(api.easy_setopt)>("curl_easy_setopt");
  api.easy_perform = library.function<decltype(api.easy_perform)>("curl_easy_perform");
  api.easy_strerror = library.function<decltype(api.easy_strerror)>("curl_easy_strerror");
  api.slist_append = library.function<decltype(api.slist_append)>("curl_slist_append");
  api.slist_free_all = library.function<decltype(api.slist_free_all)>("curl_slist_free_all");
  return api;
}
} // namespace

const CurlApi& curl_api() {
  static const CurlApi api = load();
  return api;
}

} // namespace registry
