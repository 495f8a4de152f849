#pragma once
/// AWS Signature Version 4 request signing (the groundwork of s3:// storage): canonical request,
/// string to sign, signing key and Authorization header, as documented in "Signature Version 4
/// signing process" and "Authenticating Requests (AWS Signature Version 4)" for S3.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqmon {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< temporary credentials: sent and signed as x-amz-security-token
};

struct SigV4Request {
  std::string method = "GET";
  std::string path = "/";  ///< not yet URI-encoded: "/bucket/key with spaces"
  std::vector<std::pair<std::string, std::string>> query;    ///< not yet encoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< host and x-amz-* included
  std::string payload_sha256;  ///< hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
  std::string signature;      ///< hex
  std::string authorization;  ///< the Authorization header's value
};

/// Signs a request at `amz_date` (yyyymmddThhmmssZ). The headers must hold host, and, for S3,
/// x-amz-content-sha256 and x-amz-date; x-amz-security-token is added to the signed headers from
/// the credentials when missing.
SigV4Signature sign_v4(const SigV4Request& request, const AwsCredentials& credentials,
                       const std::string& region, const std::string& service,
                       const std::string& amz_date);

/// The canonical query string: names and values URI-encoded, sorted, joined by '&' (the form the
/// request's URL must carry too).
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

/// Hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);
/// Hex SHA-256 of bytes [offset, offset + length) of a file, read in 1 MiB pieces. Throws IoError.
std::string sha256_hex_of_file(const std::string& path, uint64_t offset, uint64_t length);

/// RFC 3986 encoding as SigV4 wants it: every byte but A-Z a-z 0-9 - _ . ~ as %XX (uppercase), and
/// '/' too unless `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace mqmon
