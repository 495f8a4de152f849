#pragma once
/// Where AWS credentials, region and endpoint come from, as the AWS CLI and SDKs resolve them
/// (groundwork of s3:// storage): environment variables first, then the shared credentials and
/// config files of the selected profile.

#include <map>
#include <optional>
#include <string>

#include "mqmon/io/sigv4.h"

namespace mqmon {

/// The environment as the resolution sees it (a map, so tests need not touch the process's).
using Environment = std::map<std::string, std::string>;
Environment process_environment();

struct AwsSettings {
  AwsCredentials credentials;
  std::string region = "us-east-1";
  std::string endpoint;  ///< empty: AWS; else e.g. http://127.0.0.1:5000 (path-style addressing)
  std::string profile;   ///< the profile the files were read for
};

/// Parses an INI file of the AWS CLI ([default], [profile name] in config, [name] in credentials):
/// section -> key -> value. Missing file: empty.
std::map<std::string, std::map<std::string, std::string>> read_aws_ini(const std::string& path);

/// Resolves the settings. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
/// AWS_SESSION_TOKEN, else the profile (AWS_PROFILE, default "default") in
/// AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) then AWS_CONFIG_FILE (~/.aws/config).
/// Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1. Endpoint: the
/// argument, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`. Throws
/// ConfigError when no credentials are found, naming where it looked (never printing a secret).
AwsSettings resolve_aws_settings(const Environment& env, const std::string& endpoint_override = "");

}  // namespace mqmon
