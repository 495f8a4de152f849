#include "mqmon/io/sigv4.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <vector>

#include "mqmon/common/error.h"

namespace mqmon {

namespace {

std::string hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw Error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

/// Header values: leading/trailing spaces removed, runs of spaces collapsed to one.
std::string trim_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_sha256(), nullptr))
    throw Error("SHA-256 failed");
  return hex(out, len);
}

std::string sha256_hex_of_file(const std::string& path, uint64_t offset, uint64_t length) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f || ::fseeko(f.get(), static_cast<off_t>(offset), SEEK_SET) != 0)
    throw IoError(fmt::format("cannot read '{}'", path));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || !EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr)) throw Error("SHA-256 failed");
  std::vector<char> buf(1 << 20);
  for (uint64_t left = length; left > 0;) {
    const size_t k = std::fread(buf.data(), 1, std::min<uint64_t>(buf.size(), left), f.get());
    if (k == 0) throw IoError(fmt::format("cannot read '{}': shorter than expected", path));
    EVP_DigestUpdate(ctx.get(), buf.data(), k);
    left -= k;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_DigestFinal_ex(ctx.get(), out, &len)) throw Error("SHA-256 failed");
  return hex(out, len);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) encoded.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

SigV4Signature sign_v4(const SigV4Request& request, const AwsCredentials& credentials,
                       const std::string& region, const std::string& service,
                       const std::string& amz_date) {
  if (amz_date.size() != 16 || amz_date[8] != 'T' || amz_date.back() != 'Z')
    throw ConfigError(fmt::format("'{}' is not an x-amz-date (yyyymmddThhmmssZ)", amz_date));
  const std::string date = amz_date.substr(0, 8);

  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [k, v] : request.headers) headers.emplace_back(lower(k), trim_value(v));
  if (!credentials.session_token.empty() &&
      std::none_of(headers.begin(), headers.end(),
                   [](const auto& h) { return h.first == "x-amz-security-token"; }))
    headers.emplace_back("x-amz-security-token", credentials.session_token);
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Repeated headers are one, their values joined by commas.
  std::string canonical_headers, signed_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.insert(canonical_headers.size() - 1, "," + headers[i].second);
      continue;
    }
    canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + headers[i].first;
  }

  SigV4Signature s;
  s.signed_headers = signed_headers;
  s.canonical_request = request.method + "\n" +
                        uri_encode(request.path.empty() ? "/" : request.path, true) + "\n" +
                        canonical_query(request.query) + "\n" + canonical_headers + "\n" +
                        signed_headers + "\n" + request.payload_sha256;
  const std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  s.string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex(s.canonical_request);
  const std::string key =
      hmac(hmac(hmac(hmac("AWS4" + credentials.secret_access_key, date), region), service),
           "aws4_request");
  const std::string raw = hmac(key, s.string_to_sign);
  s.signature = hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                    ", SignedHeaders=" + signed_headers + ", Signature=" + s.signature;
  return s;
}

}  // namespace mqmon
