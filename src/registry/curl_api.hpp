// The libcurl functions cove uses, loaded on first use (see util/dynlib.hpp for why).
#pragma once

#include <curl/curl.h>

namespace registry {

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// Loads libcurl.so.4 once per process (thread-safe); throws util::Error if it cannot.
const CurlApi& curl_api();

} // namespace registry
