// Credentials from dynamic sources: credential_process, container credentials, instance metadata.
// (nlohmann/json's third translation unit: the answers are small JSON documents.)
#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/io/aws_config.h"

namespace mqmon {

namespace {

struct HttpAnswer {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body, error;
};

size_t append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

HttpAnswer http(const std::string& method, const std::string& url,
                const std::vector<std::string>& headers, long timeout_seconds) {
  HttpAnswer a;
  std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
  if (!h) throw IoError("cannot initialise libcurl");
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_NOPROXY, "*");  // link-local and loopback endpoints
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, timeout_seconds);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, timeout_seconds * 5);
  curl_easy_setopt(h.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &a.body);
  if (method == "PUT") {
    curl_easy_setopt(h.get(), CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, "");
  }
  a.code = curl_easy_perform(h.get());
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(list);
  if (a.code != CURLE_OK) a.error = errbuf[0] ? errbuf : curl_easy_strerror(a.code);
  return a;
}

/// GET with a few attempts; the answer's body on HTTP 200, else an error naming `what`.
template <typename Fail>
std::string get_with_attempts(const std::string& url, const std::vector<std::string>& headers,
                              long timeout, int attempts, Fail fail) {
  HttpAnswer a;
  for (int i = 0; i < attempts; ++i) {
    a = http("GET", url, headers, timeout);
    if (a.code == CURLE_OK && a.status == 200) return a.body;
    if (a.code == CURLE_OK && a.status < 500) break;  // an answer, not a hiccup
  }
  fail(a.code != CURLE_OK ? a.error : fmt::format("HTTP {}", a.status));
  return "";
}

/// The keys of an answer; `token_key` is "Token" (endpoints) or "SessionToken" (processes).
FetchedCredentials parse_answer(const std::string& text, const char* token_key,
                                const std::string& origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw ConfigError(fmt::format("{} did not answer with JSON credentials", origin));
  }
  const auto str = [&](const char* key) {
    const auto it = doc.is_object() ? doc.find(key) : doc.end();
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  FetchedCredentials f;
  f.credentials = {str("AccessKeyId"), str("SecretAccessKey"), str(token_key)};
  if (f.credentials.access_key_id.empty() || f.credentials.secret_access_key.empty())
    throw ConfigError(fmt::format("{} answered without AccessKeyId and SecretAccessKey", origin));
  if (const std::string expiration = str("Expiration"); !expiration.empty()) {
    try {
      f.expires_ms = parse_timestamp(expiration);
    } catch (const ConfigError&) {
      throw ConfigError(
          fmt::format("{} answered Expiration '{}', not a UTC timestamp", origin, expiration));
    }
  }
  return f;
}

FetchedCredentials from_process(const AwsSettings& s) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(s.credential_process.c_str(), "r"), &::pclose);
  if (!pipe) throw ConfigError(fmt::format("cannot run {}", s.origin));
  std::string out;
  char buf[4096];
  for (size_t k; (k = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) out.append(buf, k);
  const int status = ::pclose(pipe.release());
  if (status != 0)
    throw ConfigError(fmt::format("{} ('{}') failed with exit status {}", s.origin,
                                  s.credential_process,
                                  WIFEXITED(status) ? WEXITSTATUS(status) : status));
  return parse_answer(out, "SessionToken", s.origin);
}

FetchedCredentials from_container(const AwsSettings& s) {
  std::vector<std::string> headers;
  if (!s.container_authorization.empty())
    headers.push_back("Authorization: " + s.container_authorization);
  // 2 s per attempt, 3 attempts: the container agent is local and answers at once when it is up.
  const std::string body =
      get_with_attempts(s.container_uri, headers, 2, 3, [&](const std::string& why) {
        throw IoError(fmt::format("cannot get credentials from {}: {}", s.origin, why));
      });
  return parse_answer(body, "Token", s.origin);
}

FetchedCredentials from_instance_metadata(const AwsSettings& s) {
  const auto fail = [&](const std::string& why) {
    throw ConfigError(fmt::format("no AWS credentials: {}; instance metadata at {} gave none ({})",
                                  s.where_looked, s.metadata_endpoint, why));
  };
  // IMDSv2: a session token first; an endpoint without it (IMDSv1) answers the GETs directly.
  std::vector<std::string> headers;
  HttpAnswer token;
  for (int i = 0; i < s.metadata_attempts; ++i) {
    token = http("PUT", s.metadata_endpoint + "/latest/api/token",
                 {"X-aws-ec2-metadata-token-ttl-seconds: 21600"}, s.metadata_timeout_seconds);
    if (token.code == CURLE_OK) break;
  }
  if (token.code != CURLE_OK) fail(token.error);
  if (token.status == 200) headers.push_back("X-aws-ec2-metadata-token: " + token.body);
  const std::string base = s.metadata_endpoint + "/latest/meta-data/iam/security-credentials/";
  std::string role =
      get_with_attempts(base, headers, s.metadata_timeout_seconds, s.metadata_attempts, fail);
  role = role.substr(0, role.find_first_of("\r\n"));
  if (role.empty()) fail("no IAM role is attached to the instance");
  return parse_answer(get_with_attempts(base + role, headers, s.metadata_timeout_seconds,
                                        s.metadata_attempts, fail),
                      "Token", s.origin);
}

}  // namespace

FetchedCredentials fetch_credentials(const AwsSettings& s) {
  switch (s.source) {
    case CredentialSource::kStatic:
      return {s.credentials, INT64_MAX};
    case CredentialSource::kProcess:
      return from_process(s);
    case CredentialSource::kContainer:
      return from_container(s);
    case CredentialSource::kInstanceMetadata:
      return from_instance_metadata(s);
  }
  return {s.credentials, INT64_MAX};
}

}  // namespace mqmon
