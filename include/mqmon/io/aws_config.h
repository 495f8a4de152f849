#pragma once
/// Where AWS credentials, region and endpoint come from, as the AWS CLI and SDKs resolve them
/// (groundwork of s3:// storage): environment variables first, then the shared credentials and
/// config files of the selected profile.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "mqmon/io/sigv4.h"

namespace mqmon {

/// The environment as the resolution sees it (a map, so tests need not touch the process's).
using Environment = std::map<std::string, std::string>;
Environment process_environment();

/// Where the credentials come from, in the order of the AWS CLI's chain.
enum class CredentialSource {
  kStatic,            ///< keys in the environment or the shared files
  kProcess,           ///< the profile's credential_process
  kContainer,         ///< ECS/EKS container credentials endpoint
  kInstanceMetadata,  ///< EC2 instance metadata (IMDSv2, falling back to v1)
};

struct AwsSettings {
  AwsCredentials credentials;  ///< kStatic: the keys; else fetched (and refreshed) by the S3 client
  CredentialSource source = CredentialSource::kStatic;
  std::string origin;              ///< for messages: "environment variables", "profile 'p'", ...
  std::string credential_process;  ///< kProcess: the command (run by /bin/sh -c)
  std::string container_uri;       ///< kContainer
  std::string container_authorization;  ///< kContainer: the Authorization header, if any
  std::string metadata_endpoint;        ///< kInstanceMetadata: http://169.254.169.254
  long metadata_timeout_seconds = 1;    ///< AWS_METADATA_SERVICE_TIMEOUT
  int metadata_attempts = 1;            ///< AWS_METADATA_SERVICE_NUM_ATTEMPTS
  std::string where_looked;  ///< the places tried before instance metadata, for its error
  std::string region = "us-east-1";
  std::string endpoint;  ///< empty: AWS; else e.g. http://127.0.0.1:5000 (path-style addressing)
  std::string profile;   ///< the profile the files were read for
};

/// The integer setting `key` of the environment, `fallback` when unset. Throws ConfigError naming
/// the variable when it is not a whole number in [low, high].
long environment_integer(const Environment& env, const char* key, long fallback, long low,
                         long high);

/// Parses an INI file of the AWS CLI ([default], [profile name] in config, [name] in credentials):
/// section -> key -> value. Missing file: empty.
std::map<std::string, std::map<std::string, std::string>> read_aws_ini(const std::string& path);

/// Resolves the settings. Credentials, the first found: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
/// AWS_SESSION_TOKEN; the profile's (AWS_PROFILE, default "default") keys in
/// AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) then AWS_CONFIG_FILE (~/.aws/config); the
/// profile's credential_process; container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI or
/// _RELATIVE_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); instance metadata (unless
/// AWS_EC2_METADATA_DISABLED=true; AWS_EC2_METADATA_SERVICE_ENDPOINT). Region: AWS_REGION,
/// AWS_DEFAULT_REGION, the profile's `region`, else us-east-1. Endpoint: the argument, else
/// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`. Throws ConfigError when no
/// source is left, naming where it looked (never printing a secret).
AwsSettings resolve_aws_settings(const Environment& env, const std::string& endpoint_override = "");

/// Credentials fetched from a dynamic source, and when they expire (ms since the epoch; INT64_MAX
/// for never).
struct FetchedCredentials {
  AwsCredentials credentials;
  int64_t expires_ms = INT64_MAX;
};

/// Runs the credential_process, or asks the container or instance-metadata endpoint (with libcurl).
/// Throws ConfigError (a command or answer that gives no credentials, no instance metadata) or
/// IoError (an endpoint failing).
FetchedCredentials fetch_credentials(const AwsSettings& settings);

}  // namespace mqmon
