#pragma once
/// An S3 client on libcurl: the few S3 calls mqmon needs (ListObjectsV2, HEAD, ranged GET, PUT,
/// DELETE, multipart upload), signed with Signature Version 4 (sigv4.h), retried with capped
/// exponential backoff and full jitter on throttling, 5xx answers and dropped connections.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqmon/io/aws_config.h"

namespace mqmon {

/// True for "s3://..." (the scheme is matched case-insensitively, as the AWS CLI does).
bool is_s3_uri(std::string_view path);

struct S3Location {
  std::string bucket;
  std::string key;  ///< may be empty (the bucket's root) or end with '/'
  std::string uri() const { return "s3://" + bucket + "/" + key; }
};

/// Splits s3://bucket/key. Throws ConfigError naming the URI when the bucket is missing or not a
/// valid bucket name.
S3Location parse_s3_uri(std::string_view uri);

struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};

/// How requests are retried and large uploads split. Attempts: AWS_MAX_ATTEMPTS (default 5); the
/// n-th retry waits a uniform random time in [0, min(max_backoff, base_delay * 2^n)] ("full
/// jitter"). Uploads of at least multipart_chunk bytes go as a multipart upload in parts of that
/// size (MQMON_S3_MULTIPART_CHUNKSIZE, as the AWS CLI's multipart_chunksize: "64MB", 5MB-5GB).
struct S3Options {
  int max_attempts = 5;
  double base_delay_seconds = 0.1;
  double max_backoff_seconds = 20.0;
  long connect_timeout_seconds = 10;
  /// A transfer that moves no byte for this long is dropped and retried (never a hang);
  /// MQMON_S3_READ_TIMEOUT seconds.
  long stall_timeout_seconds = 30;
  uint64_t multipart_chunk = 64ULL << 20;
  static S3Options from_environment(const Environment& env);
};

/// Parsed ListObjectsV2 page (exposed for unit tests of the XML handling).
struct ListPage {
  std::vector<S3Object> objects;
  std::vector<std::string> folders;  ///< CommonPrefixes (with a delimiter): "prefix/sub/"
  bool truncated = false;
  std::string next_token;
};
ListPage parse_list_objects_v2(std::string_view xml);

/// The Code and Message of an S3 error body (<Error><Code>..</Code><Message>..</Message>); empty
/// when the body is not one.
struct S3ErrorBody {
  std::string code, message;
};
S3ErrorBody parse_s3_error(std::string_view xml);

/// The text of root/child in an XML answer (InitiateMultipartUploadResult/UploadId); empty when
/// the answer is not XML or has no such element.
std::string parse_xml_child(std::string_view xml, const char* root, const char* child);

/// Where a request for bucket/key goes: scheme, Host header and (not yet encoded) path. Path style
/// (endpoint/bucket/key) for a custom endpoint and for bucket names with dots, else virtual hosted
/// (https://bucket.s3.region.amazonaws.com/key). A scheme's default port is left out of the host,
/// as HTTP clients send it. Throws ConfigError for an endpoint that is not an http(s) URL.
struct S3Address {
  std::string scheme, host, path;
};
S3Address s3_address(const AwsSettings& settings, const std::string& bucket,
                     const std::string& key);

/// Whether an answer with this HTTP status and S3 error code is worth another attempt.
bool is_retryable_status(long http_status, std::string_view s3_code);

class S3Client {
 public:
  S3Client(AwsSettings settings, S3Options options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  /// Every object under `prefix` (string prefix, as S3 means it), following continuation tokens.
  std::vector<S3Object> list(const std::string& bucket, const std::string& prefix) const;
  /// One level of a folder (`prefix` ends with '/'): the objects right in it and its subfolders.
  ListPage list_folder(const std::string& bucket, const std::string& prefix) const;
  /// The object's size and ETag; nullopt when it does not exist (404).
  std::optional<S3Object> head(const std::string& bucket, const std::string& key) const;
  /// Bytes [offset, offset + length) of an object. A non-empty `if_match` ETag makes a changed
  /// object an error instead of a silent mix of two versions.
  std::string get_range(const std::string& bucket, const std::string& key, uint64_t offset,
                        uint64_t length, const std::string& if_match) const;
  /// A whole (small) object.
  std::string get(const std::string& bucket, const std::string& key) const;
  /// Writes an object from memory or from a local file; large bodies by a multipart upload
  /// (parts in parallel, aborted when it fails, so no partial object appears).
  void put(const std::string& bucket, const std::string& key, std::string_view body) const;
  void put_file(const std::string& bucket, const std::string& key,
                const std::string& local_path) const;
  void remove(const std::string& bucket, const std::string& key) const;

  struct Impl;  ///< connections (curl stays out of this header)
  struct Body;  ///< what a PUT or POST sends

 private:
  ListPage list_all(const std::string& bucket, const std::string& prefix,
                    const std::string& delimiter) const;
  void put_body(const std::string& bucket, const std::string& key, const Body& body) const;
  void put_multipart(const std::string& bucket, const std::string& key, const Body& body) const;

  AwsSettings settings_;
  S3Options options_;
  std::unique_ptr<Impl> impl_;
};

/// The process's client, made on first use from the environment (aws_config.h) and the endpoint
/// given by set_s3_endpoint (the CLI's --s3-endpoint). Throws ConfigError without credentials.
std::shared_ptr<const S3Client> shared_s3_client();
/// Sets the endpoint of the shared client (empty: from the environment) and drops the current
/// client, so the next shared_s3_client() reads the environment again (holders keep theirs).
void set_s3_endpoint(const std::string& endpoint);
/// --verbose: every S3 request and its answer logged on stderr, one line each (method, object,
/// range, status, time, attempt, access key id), never a secret, token or header value.
void set_s3_verbose(bool verbose);

}  // namespace mqmon
