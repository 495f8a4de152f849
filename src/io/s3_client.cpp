// The S3 client: libcurl (also in credentials.cpp) and the only user of pugixml.
#include "mqmon/io/s3_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <mutex>
#include <pugixml.hpp>
#include <random>
#include <thread>

#include "mqmon/common/error.h"
#include "mqmon/common/markup.h"
#include "mqmon/common/time.h"
#include "mqmon/io/sigv4.h"

namespace mqmon {

bool is_s3_uri(std::string_view path) {
  if (path.size() < 5) return false;
  std::string scheme(path.substr(0, 5));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return scheme == "s3://";
}

S3Location parse_s3_uri(std::string_view uri) {
  if (!is_s3_uri(uri)) throw ConfigError(fmt::format("'{}' is not an s3:// URI", uri));
  const std::string_view rest = uri.substr(5);
  const size_t slash = rest.find('/');
  S3Location loc;
  loc.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) loc.key = std::string(rest.substr(slash + 1));
  // Bucket naming rules (3-63 characters of a-z 0-9 . -, starting and ending with a letter or
  // digit); capitals and underscores are allowed for the legacy us-east-1 names.
  const bool valid = loc.bucket.size() >= 3 && loc.bucket.size() <= 255 &&
                     std::all_of(loc.bucket.begin(), loc.bucket.end(),
                                 [](unsigned char c) {
                                   return std::isalnum(c) || c == '.' || c == '-' || c == '_';
                                 }) &&
                     std::isalnum(static_cast<unsigned char>(loc.bucket.front())) &&
                     std::isalnum(static_cast<unsigned char>(loc.bucket.back()));
  if (!valid)
    throw ConfigError(fmt::format("'{}': '{}' is not a valid S3 bucket name", uri, loc.bucket));
  return loc;
}

S3Options S3Options::from_environment(const Environment& env) {
  S3Options p;
  p.max_attempts = static_cast<int>(environment_integer(env, "AWS_MAX_ATTEMPTS", 5, 1, 100));
  p.stall_timeout_seconds = environment_integer(env, "MQMON_S3_READ_TIMEOUT", 30, 1, 3600);
  if (auto it = env.find("MQMON_S3_MULTIPART_CHUNKSIZE"); it != env.end() && !it->second.empty()) {
    // A size as the AWS CLI writes it: bytes, or a number with KB, MB, GB (powers of 1024).
    const std::string& text = it->second;
    size_t used = 0;
    double value = -1;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
    }
    std::string unit = text.substr(used);
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    const double scale = unit.empty() || unit == "B"     ? 1
                         : unit == "KB" || unit == "KIB" ? 1024.0
                         : unit == "MB" || unit == "MIB" ? 1048576.0
                         : unit == "GB" || unit == "GIB" ? 1073741824.0
                                                         : -1;
    const double bytes = value * scale;
    if (value < 0 || scale < 0 || bytes < 5 * 1048576.0 || bytes > 5 * 1073741824.0)
      throw ConfigError(fmt::format(
          "MQMON_S3_MULTIPART_CHUNKSIZE '{}' is not a part size between 5MB and 5GB", text));
    p.multipart_chunk = static_cast<uint64_t>(bytes);
  }
  return p;
}

namespace {

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

ListPage parse_list_objects_v2(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size()))
    throw IoError("S3 ListObjectsV2 answered with a body that is not XML");
  const pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) throw IoError("S3 ListObjectsV2 answered without a ListBucketResult");
  const bool url_encoded = std::string_view(root.child_value("EncodingType")) == "url";
  ListPage page;
  for (pugi::xml_node c = root.child("Contents"); c; c = c.next_sibling("Contents")) {
    S3Object o;
    o.key = c.child_value("Key");
    if (url_encoded) o.key = url_decode(o.key);
    o.size = std::strtoull(c.child_value("Size"), nullptr, 10);
    o.etag = c.child_value("ETag");
    page.objects.push_back(std::move(o));
  }
  for (pugi::xml_node c = root.child("CommonPrefixes"); c; c = c.next_sibling("CommonPrefixes")) {
    std::string folder = c.child_value("Prefix");
    page.folders.push_back(url_encoded ? url_decode(folder) : folder);
  }
  page.truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  page.next_token = root.child_value("NextContinuationToken");
  if (page.truncated && page.next_token.empty())
    throw IoError("S3 ListObjectsV2 answered IsTruncated without a NextContinuationToken");
  return page;
}

S3ErrorBody parse_s3_error(std::string_view xml) {
  S3ErrorBody e;
  pugi::xml_document doc;
  if (xml.empty() || !doc.load_buffer(xml.data(), xml.size())) return e;
  const pugi::xml_node err = doc.child("Error");
  e.code = err.child_value("Code");
  e.message = err.child_value("Message");
  return e;
}

std::string parse_xml_child(std::string_view xml, const char* root, const char* child) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return "";
  return doc.child(root).child_value(child);
}

bool is_retryable_status(long status, std::string_view code) {
  if (status >= 500 || status == 429) return true;
  // S3's own names for "try again": throttling and an idle connection closed by the server.
  return code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
         code == "RequestTimeout" || code == "RequestThrottled" || code == "InternalError";
}

namespace {

bool is_retryable_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

std::string amz_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

/// Endpoint "scheme://authority[/base]" split up.
struct Endpoint {
  std::string scheme, host, base_path;
};

Endpoint parse_endpoint(const std::string& url) {
  Endpoint e;
  const size_t sep = url.find("://");
  if (sep == std::string::npos)
    throw ConfigError(fmt::format("S3 endpoint '{}' is not a URL (http://host:port)", url));
  e.scheme = url.substr(0, sep);
  std::transform(e.scheme.begin(), e.scheme.end(), e.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (e.scheme != "http" && e.scheme != "https")
    throw ConfigError(fmt::format("S3 endpoint '{}': only http and https are supported", url));
  std::string rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  e.host = rest.substr(0, slash);
  if (slash != std::string::npos) e.base_path = rest.substr(slash);
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  if (e.host.empty()) throw ConfigError(fmt::format("S3 endpoint '{}' names no host", url));
  const std::string default_port = e.scheme == "http" ? ":80" : ":443";
  if (e.host.size() > default_port.size() &&
      e.host.compare(e.host.size() - default_port.size(), default_port.size(), default_port) == 0)
    e.host.resize(e.host.size() - default_port.size());
  return e;
}

}  // namespace

S3Address s3_address(const AwsSettings& settings, const std::string& bucket,
                     const std::string& key) {
  const bool custom = !settings.endpoint.empty();
  const Endpoint e = parse_endpoint(custom ? settings.endpoint
                                           : "https://s3." + settings.region + ".amazonaws.com");
  const bool path_style = custom || bucket.find('.') != std::string::npos;
  S3Address a;
  a.scheme = e.scheme;
  a.host = path_style ? e.host : bucket + "." + e.host;
  a.path = e.base_path + (path_style ? "/" + bucket : "") + "/" + key;
  return a;
}

namespace {

struct Response {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    r->headers.clear();  // a new response (after 100 Continue or a retry on the same handle)
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  r->headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

}  // namespace

/// The body of a PUT or POST: memory, or bytes [offset, offset + length) of a local file.
struct S3Client::Body {
  std::string_view memory;
  std::string file;
  uint64_t offset = 0, length = 0;

  uint64_t size() const { return file.empty() ? memory.size() : length; }
  Body slice(uint64_t from, uint64_t n) const {
    Body b = *this;
    if (file.empty())
      b.memory = memory.substr(from, n);
    else
      b.offset = offset + from, b.length = n;
    return b;
  }
  std::string sha256() const {
    if (file.empty()) return sha256_hex(memory);
    return sha256_hex_of_file(file, offset, length);
  }
};

namespace {

/// Reading state of one attempt at sending a Body.
struct Upload {
  const S3Client::Body* body = nullptr;
  std::unique_ptr<FILE, int (*)(FILE*)> file{nullptr, &std::fclose};
  uint64_t pos = 0;

  explicit Upload(const S3Client::Body* b) : body(b) {
    if (!b || b->file.empty()) return;
    file.reset(std::fopen(b->file.c_str(), "rb"));
    if (!file || ::fseeko(file.get(), static_cast<off_t>(b->offset), SEEK_SET) != 0)
      throw IoError(fmt::format("cannot read '{}'", b->file));
  }
};

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, u->body->size() - u->pos));
  size_t k = 0;
  if (u->file) {
    k = std::fread(buf, 1, want, u->file.get());
    if (k < want) return CURL_READFUNC_ABORT;  // the file shrank under us
  } else {
    std::memcpy(buf, u->body->memory.data() + u->pos, want);
    k = want;
  }
  u->pos += k;
  return k;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* u = static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > u->body->size())
    return CURL_SEEKFUNC_CANTSEEK;
  if (u->file &&
      ::fseeko(u->file.get(), static_cast<off_t>(u->body->offset + offset), SEEK_SET) != 0)
    return CURL_SEEKFUNC_FAIL;
  u->pos = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

struct S3Client::Impl {
  std::mutex mutex;
  std::vector<CURL*> idle;  // handles kept for their open connections

  std::mutex credentials_mutex;
  FetchedCredentials fetched;
  bool have_credentials = false;

  /// The credentials to sign with: the static keys, or fetched ones renewed 5 minutes before
  /// they expire (a long job outlives temporary credentials).
  AwsCredentials credentials(const AwsSettings& s) {
    if (s.source == CredentialSource::kStatic) return s.credentials;
    std::lock_guard<std::mutex> lock(credentials_mutex);
    constexpr int64_t kRenewBefore = 5 * 60 * 1000;
    if (!have_credentials || now_millis() > fetched.expires_ms - kRenewBefore) {
      fetched = fetch_credentials(s);
      have_credentials = true;
    }
    return fetched.credentials;
  }

  ~Impl() {
    for (CURL* h : idle) curl_easy_cleanup(h);
  }
  CURL* acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        curl_easy_reset(h);
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (!h) throw IoError("cannot initialise libcurl");
    return h;
  }
  void release(CURL* h) {
    std::lock_guard<std::mutex> lock(mutex);
    idle.push_back(h);
  }
};

struct S3Call {
  std::string method = "GET";
  std::string bucket, key;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond host and x-amz-*
  const S3Client::Body* body = nullptr;                      // PUT and POST
  std::string payload_sha256;
  size_t expected_bytes = 0;  // a ranged GET's answer size: reserved at once, checked on 206
};

namespace {

/// The message of a failed call: what was asked, what S3 said, and what to check; never a secret.
std::string describe_failure(const S3Call& call, const S3Location& where, const AwsSettings& s,
                             const AwsCredentials& credentials, const Response& r,
                             const S3ErrorBody& err) {
  const std::string target = call.key.empty() && call.method == "GET"
                                 ? fmt::format("bucket '{}'", call.bucket)
                                 : fmt::format("'{}'", where.uri());
  std::string detail = err.code.empty()
                           ? fmt::format("HTTP {}", r.status)
                           : fmt::format("HTTP {} {}: {}", r.status, err.code, err.message);
  const std::string request_id = r.header("x-amz-request-id");
  if (!request_id.empty()) detail += fmt::format(", request id {}", request_id);
  const std::string who =
      fmt::format("access key id {} (from {})", credentials.access_key_id, s.origin);
  if (err.code == "NoSuchBucket")
    return fmt::format("S3 bucket '{}' does not exist ({})", call.bucket, detail);
  // A bucket of another region: S3 says which (301 PermanentRedirect, or 400 on a wrong scope).
  if (const std::string region = r.header("x-amz-bucket-region");
      !region.empty() && region != s.region && (r.status == 301 || r.status == 400))
    return fmt::format("S3 bucket '{}' is in region {}, not {}: set AWS_REGION={} ({})",
                       call.bucket, region, s.region, region, detail);
  if (r.status == 404) return fmt::format("{} does not exist ({})", where.uri(), detail);
  if (err.code == "SignatureDoesNotMatch")
    return fmt::format(
        "S3 {} {}: the request signature does not match ({}); the secret access key of {} is "
        "wrong for this endpoint",
        call.method, target, detail, who);
  if (err.code == "InvalidAccessKeyId")
    return fmt::format("S3 {} {}: {} is not known to the endpoint ({})", call.method, target, who,
                       detail);
  if (err.code == "RequestTimeTooSkewed")
    return fmt::format("S3 {} {}: this machine's clock is off ({})", call.method, target, detail);
  if (r.status == 403)
    return fmt::format("S3 {} {}: access denied to {} ({})", call.method, target, who, detail);
  if (r.status == 412)
    return fmt::format("{} changed while it was being read ({})", where.uri(), detail);
  return fmt::format("S3 {} {} failed ({})", call.method, target, detail);
}

}  // namespace

S3Client::S3Client(AwsSettings settings, S3Options options)
    : settings_(std::move(settings)), options_(options), impl_(std::make_unique<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  s3_address(settings_, "bucket", "");  // a bad endpoint fails here, before any work,
  impl_->credentials(settings_);        // and so do credentials that cannot be had
}

S3Client::~S3Client() = default;

namespace {

/// One HTTP exchange of a call (no retry). Returns the curl code; fills `r`.
CURLcode perform(S3Client::Impl& impl, const AwsSettings& s, const AwsCredentials& credentials,
                 const S3Options& retry, const S3Call& call, Response& r, std::string& curl_error) {
  const S3Address address = s3_address(s, call.bucket, call.key);
  const std::string& host = address.host;
  const std::string& path = address.path;

  SigV4Request req;
  req.method = call.method;
  req.path = path;
  req.query = call.query;
  req.payload_sha256 = call.payload_sha256.empty() ? sha256_hex("") : call.payload_sha256;
  const std::string date = amz_now();
  req.headers = {
      {"host", host}, {"x-amz-date", date}, {"x-amz-content-sha256", req.payload_sha256}};
  if (!credentials.session_token.empty())
    req.headers.emplace_back("x-amz-security-token", credentials.session_token);
  for (const auto& h : call.headers) req.headers.push_back(h);
  const SigV4Signature sig = sign_v4(req, credentials, s.region, "s3", date);

  const std::string query = canonical_query(call.query);
  const std::string url =
      address.scheme + "://" + host + uri_encode(path, true) + (query.empty() ? "" : "?" + query);

  Upload upload(call.body);             // may throw: before anything needs releasing
  r.body.reserve(call.expected_bytes);  // no doubling reallocations of large parts
  CURL* h = impl.acquire();
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, ("Authorization: " + sig.authorization).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // S3 keys may hold "." and ".." segments
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, retry.connect_timeout_seconds);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, retry.stall_timeout_seconds);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  if (call.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (call.body) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);  // PUT, or POST by the custom verb below
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(call.body->size()));
  }
  if (call.method != "GET" && call.method != "HEAD" && call.method != "PUT")
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    curl_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    curl_easy_cleanup(h);  // a broken connection is not reused
  } else {
    impl.release(h);
  }
  return rc;
}

void sleep_before_retry(const S3Options& p, int attempt) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  const double cap =
      std::min(p.max_backoff_seconds, p.base_delay_seconds * std::ldexp(1.0, attempt));
  const double wait = std::uniform_real_distribution<double>(0.0, cap)(rng);
  std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

}  // namespace

namespace {

std::atomic<bool> g_verbose{false};

/// --verbose: one line per request on stderr. What was asked and answered, and whose access key
/// id signed it; never a secret, a token, a header value or a body.
void log_request(const S3Call& call, const S3Location& where, const AwsCredentials& credentials,
                 CURLcode rc, const Response& r, double ms, int attempt) {
  std::string range;
  for (const auto& [name, value] : call.headers)
    if (name == "Range") range = " " + value;
  std::string query;
  for (const auto& [name, value] : call.query)
    if (name != "continuation-token")
      query += fmt::format("{}{}={}", query.empty() ? " ?" : "&", name, value);
  const std::string outcome = rc != CURLE_OK ? fmt::format("failed ({})", curl_easy_strerror(rc))
                                             : fmt::format("HTTP {}", r.status);
  std::fprintf(stderr, "mqmon: S3 %s %s%s%s -> %s in %.0f ms (attempt %d, access key id %s)\n",
               call.method.c_str(), where.uri().c_str(), range.c_str(), query.c_str(),
               outcome.c_str(), ms, attempt,
               credentials.access_key_id.empty() ? "none" : credentials.access_key_id.c_str());
}

/// Runs a call with retries; returns the final response with a 2xx status, or, when
/// `accept_404`, a 404. Throws IoError otherwise.
Response run(S3Client::Impl& impl, const AwsSettings& s, const S3Options& retry, const S3Call& call,
             bool accept_404 = false) {
  const S3Location where{call.bucket, call.key};
  for (int attempt = 1;; ++attempt) {
    Response r;
    std::string curl_error;
    const AwsCredentials credentials = impl.credentials(s);
    const auto started = std::chrono::steady_clock::now();
    const CURLcode rc = perform(impl, s, credentials, retry, call, r, curl_error);
    if (g_verbose.load(std::memory_order_relaxed))
      log_request(
          call, where, credentials, rc, r,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count(),
          attempt);
    bool retryable = false;
    std::string failure;
    if (rc != CURLE_OK) {
      retryable = is_retryable_curl(rc);
      const S3Address address = s3_address(s, call.bucket, call.key);
      failure = fmt::format("S3 {} '{}' failed: {} (endpoint {}://{})", call.method, where.uri(),
                            curl_error, address.scheme, address.host);
    } else if (r.status == 206 && r.body.size() != call.expected_bytes) {
      retryable = true;  // a range answered short without a transport error
      failure = fmt::format("S3 GET '{}': got {} bytes of a {}-byte range", where.uri(),
                            r.body.size(), call.expected_bytes);
    } else if (r.status >= 200 && r.status < 300) {
      return r;
    } else if (r.status == 404 && accept_404) {
      return r;
    } else {
      const S3ErrorBody err = parse_s3_error(r.body);
      retryable = is_retryable_status(r.status, err.code);
      failure = describe_failure(call, where, s, credentials, r, err);
    }
    if (!retryable) throw IoError(failure);
    if (attempt >= retry.max_attempts)
      throw IoError(fmt::format("{}; gave up after {} attempts", failure, attempt));
    sleep_before_retry(retry, attempt - 1);
  }
}

}  // namespace

ListPage S3Client::list_all(const std::string& bucket, const std::string& prefix,
                            const std::string& delimiter) const {
  ListPage all;
  std::string token;
  for (;;) {
    S3Call call;
    call.bucket = bucket;
    call.query = {{"list-type", "2"}, {"prefix", prefix}, {"encoding-type", "url"}};
    if (!delimiter.empty()) call.query.emplace_back("delimiter", delimiter);
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    ListPage page = parse_list_objects_v2(run(*impl_, settings_, options_, call).body);
    for (auto& o : page.objects) all.objects.push_back(std::move(o));
    for (auto& f : page.folders) all.folders.push_back(std::move(f));
    if (!page.truncated) break;
    token = page.next_token;
  }
  return all;
}

std::vector<S3Object> S3Client::list(const std::string& bucket, const std::string& prefix) const {
  return list_all(bucket, prefix, "").objects;
}

ListPage S3Client::list_folder(const std::string& bucket, const std::string& prefix) const {
  return list_all(bucket, prefix, "/");
}

std::optional<S3Object> S3Client::head(const std::string& bucket, const std::string& key) const {
  S3Call call;
  call.method = "HEAD";
  call.bucket = bucket;
  call.key = key;
  const Response r = run(*impl_, settings_, options_, call, /*accept_404=*/true);
  if (r.status == 404) return std::nullopt;
  S3Object o;
  o.key = key;
  o.size = std::strtoull(r.header("content-length").c_str(), nullptr, 10);
  o.etag = r.header("etag");
  return o;
}

std::string S3Client::get_range(const std::string& bucket, const std::string& key, uint64_t offset,
                                uint64_t length, const std::string& if_match) const {
  if (length == 0) return "";
  S3Call call;
  call.bucket = bucket;
  call.key = key;
  call.headers.emplace_back("range", fmt::format("bytes={}-{}", offset, offset + length - 1));
  if (!if_match.empty()) call.headers.emplace_back("if-match", if_match);
  call.expected_bytes = static_cast<size_t>(length);
  Response r = run(*impl_, settings_, options_, call);
  if (r.status == 206) return std::move(r.body);  // its size checked by run()
  // A server that ignored the range answers 200 with the whole object: cut the range out of it.
  if (r.body.size() < offset + length)
    throw IoError(fmt::format("S3 GET 's3://{}/{}': the object has {} bytes, not the {} listed",
                              bucket, key, r.body.size(), offset + length));
  return r.body.substr(offset, length);
}

std::string S3Client::get(const std::string& bucket, const std::string& key) const {
  S3Call call;
  call.bucket = bucket;
  call.key = key;
  return run(*impl_, settings_, options_, call).body;
}

void S3Client::put(const std::string& bucket, const std::string& key, std::string_view body) const {
  Body b;
  b.memory = body;
  put_body(bucket, key, b);
}

void S3Client::put_file(const std::string& bucket, const std::string& key,
                        const std::string& local_path) const {
  std::error_code ec;
  const auto size = std::filesystem::file_size(local_path, ec);
  if (ec) throw IoError(fmt::format("cannot read '{}': {}", local_path, ec.message()));
  Body b;
  b.file = local_path;
  b.length = size;
  put_body(bucket, key, b);
}

void S3Client::put_body(const std::string& bucket, const std::string& key, const Body& body) const {
  if (body.size() >= options_.multipart_chunk) return put_multipart(bucket, key, body);
  S3Call call;
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.body = &body;
  call.payload_sha256 = body.sha256();
  run(*impl_, settings_, options_, call);
}

void S3Client::put_multipart(const std::string& bucket, const std::string& key,
                             const Body& body) const {
  constexpr uint64_t kMaxParts = 10000;  // S3's limit
  const uint64_t chunk =
      std::max(options_.multipart_chunk, (body.size() + kMaxParts - 1) / kMaxParts);
  const size_t parts = static_cast<size_t>((body.size() + chunk - 1) / chunk);
  const S3Location where{bucket, key};

  const Body empty;
  S3Call start;
  start.method = "POST";
  start.bucket = bucket;
  start.key = key;
  start.query = {{"uploads", ""}};
  start.body = &empty;
  const std::string upload_id = parse_xml_child(run(*impl_, settings_, options_, start).body,
                                                "InitiateMultipartUploadResult", "UploadId");
  if (upload_id.empty())
    throw IoError(fmt::format("S3 POST '{}'?uploads answered without an UploadId", where.uri()));

  try {
    // Parts go up kS3Parallel at a time; the first failure stops the others from starting more.
    std::vector<std::string> etags(parts);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto worker = [&] {
      for (size_t i; !failed && (i = next++) < parts;) {
        try {
          const Body part = body.slice(i * chunk, std::min(chunk, body.size() - i * chunk));
          S3Call call;
          call.method = "PUT";
          call.bucket = bucket;
          call.key = key;
          call.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}};
          call.body = &part;
          call.payload_sha256 = part.sha256();
          etags[i] = run(*impl_, settings_, options_, call).header("etag");
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          failed = true;
        }
      }
    };
    std::vector<std::thread> threads;
    for (size_t t = 0; t < std::min<size_t>(4, parts); ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);

    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < parts; ++i)
      xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                         escape_markup(etags[i]));
    xml += "</CompleteMultipartUpload>";
    Body complete_body;
    complete_body.memory = xml;
    S3Call complete;
    complete.method = "POST";
    complete.bucket = bucket;
    complete.key = key;
    complete.query = {{"uploadId", upload_id}};
    complete.body = &complete_body;
    complete.payload_sha256 = sha256_hex(xml);
    // S3 may answer 200 and report an error in the body of a completion.
    for (int attempt = 1;; ++attempt) {
      const Response r = run(*impl_, settings_, options_, complete);
      const S3ErrorBody err = parse_s3_error(r.body);
      if (err.code.empty()) break;
      if (!is_retryable_status(r.status, err.code) || attempt >= options_.max_attempts)
        throw IoError(fmt::format("S3 multipart upload of '{}' failed to complete ({}: {})",
                                  where.uri(), err.code, err.message));
      sleep_before_retry(options_, attempt - 1);
    }
  } catch (...) {
    try {  // no partial object, no parts left to pay for
      S3Call abort;
      abort.method = "DELETE";
      abort.bucket = bucket;
      abort.key = key;
      abort.query = {{"uploadId", upload_id}};
      run(*impl_, settings_, options_, abort, /*accept_404=*/true);
    } catch (const Error&) {
    }
    throw;
  }
}

void S3Client::remove(const std::string& bucket, const std::string& key) const {
  S3Call call;
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  run(*impl_, settings_, options_, call, /*accept_404=*/true);
}

namespace {
std::mutex g_shared_mutex;
std::string g_endpoint;
std::shared_ptr<const S3Client> g_client;
}  // namespace

std::shared_ptr<const S3Client> shared_s3_client() {
  std::lock_guard<std::mutex> lock(g_shared_mutex);
  if (!g_client) {
    const Environment env = process_environment();
    g_client = std::make_shared<const S3Client>(resolve_aws_settings(env, g_endpoint),
                                                S3Options::from_environment(env));
  }
  return g_client;
}

void set_s3_verbose(bool verbose) { g_verbose = verbose; }

void set_s3_endpoint(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(g_shared_mutex);
  g_endpoint = endpoint;
  g_client.reset();
}

}  // namespace mqmon
