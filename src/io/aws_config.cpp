#include "mqmon/io/aws_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "mqmon/common/error.h"

extern char** environ;

namespace mqmon {

Environment process_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

namespace {
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string get(const Environment& env, const char* key) {
  const auto it = env.find(key);
  return it == env.end() ? "" : it->second;
}
}  // namespace

long environment_integer(const Environment& env, const char* key, long fallback, long low,
                         long high) {
  const std::string v = get(env, key);
  if (v.empty()) return fallback;
  size_t used = 0;
  long n = 0;
  try {
    n = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || n < low || n > high)
    throw ConfigError(
        fmt::format("{} '{}' is not a whole number from {} to {}", key, v, low, high));
  return n;
}

std::map<std::string, std::map<std::string, std::string>> read_aws_ini(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line, section;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    out[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

AwsSettings resolve_aws_settings(const Environment& env, const std::string& endpoint_override) {
  AwsSettings s;
  const std::string home = get(env, "HOME");
  const std::string credentials_file = !get(env, "AWS_SHARED_CREDENTIALS_FILE").empty()
                                           ? get(env, "AWS_SHARED_CREDENTIALS_FILE")
                                           : home + "/.aws/credentials";
  const std::string config_file =
      !get(env, "AWS_CONFIG_FILE").empty() ? get(env, "AWS_CONFIG_FILE") : home + "/.aws/config";
  s.profile = !get(env, "AWS_PROFILE").empty() ? get(env, "AWS_PROFILE") : "default";

  // The profile's settings: the credentials file's [name] over the config file's [profile name].
  const auto config = read_aws_ini(config_file);
  std::map<std::string, std::string> profile;
  for (const std::string& section :
       {s.profile == "default" ? std::string("default") : "profile " + s.profile, s.profile}) {
    if (auto it = config.find(section); it != config.end())
      profile.insert(it->second.begin(), it->second.end());
  }
  const auto credentials = read_aws_ini(credentials_file);
  if (auto it = credentials.find(s.profile); it != credentials.end())
    for (const auto& [k, v] : it->second) profile[k] = v;
  auto from_profile = [&](const char* key) {
    const auto it = profile.find(key);
    return it == profile.end() ? std::string() : it->second;
  };

  s.where_looked = fmt::format(
      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '{}' aws_access_key_id and "
      "aws_secret_access_key or credential_process in {} or {}",
      s.profile, credentials_file, config_file);
  if (!get(env, "AWS_ACCESS_KEY_ID").empty()) {
    s.credentials = {get(env, "AWS_ACCESS_KEY_ID"), get(env, "AWS_SECRET_ACCESS_KEY"),
                     get(env, "AWS_SESSION_TOKEN")};
    s.origin = "environment variables";
    if (s.credentials.secret_access_key.empty())
      throw ConfigError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  } else if (!from_profile("aws_access_key_id").empty()) {
    s.credentials = {from_profile("aws_access_key_id"), from_profile("aws_secret_access_key"),
                     from_profile("aws_session_token")};
    s.origin = fmt::format("profile '{}'", s.profile);
    if (s.credentials.secret_access_key.empty())
      throw ConfigError(fmt::format(
          "profile '{}' has aws_access_key_id but no aws_secret_access_key", s.profile));
  } else if (!from_profile("credential_process").empty()) {
    s.source = CredentialSource::kProcess;
    s.credential_process = from_profile("credential_process");
    s.origin = fmt::format("the credential_process of profile '{}'", s.profile);
  } else if (!get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
             !get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI").empty()) {
    s.source = CredentialSource::kContainer;
    s.container_uri =
        !get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty()
            ? "http://169.254.170.2" + get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            : get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    s.container_authorization = get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (const std::string file = get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        !file.empty()) {
      std::ifstream in(file);
      if (!in || !std::getline(in, s.container_authorization))
        throw ConfigError(
            fmt::format("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '{}'", file));
      s.container_authorization = trim(s.container_authorization);
    }
    s.origin = fmt::format("container credentials at {}", s.container_uri);
  } else {
    std::string disabled = get(env, "AWS_EC2_METADATA_DISABLED");
    std::transform(disabled.begin(), disabled.end(), disabled.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (disabled == "true")
      throw ConfigError(
          fmt::format("no AWS credentials: {} (instance metadata is disabled)", s.where_looked));
    s.source = CredentialSource::kInstanceMetadata;
    s.metadata_endpoint = !get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").empty()
                              ? get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
                              : "http://169.254.169.254";
    while (!s.metadata_endpoint.empty() && s.metadata_endpoint.back() == '/')
      s.metadata_endpoint.pop_back();
    s.metadata_timeout_seconds = environment_integer(env, "AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 60);
    s.metadata_attempts =
        static_cast<int>(environment_integer(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, 60));
    s.origin = fmt::format("instance metadata at {}", s.metadata_endpoint);
  }

  for (const std::string& r :
       {get(env, "AWS_REGION"), get(env, "AWS_DEFAULT_REGION"), from_profile("region")})
    if (!r.empty()) {
      s.region = r;
      break;
    }
  for (const std::string& e : {endpoint_override, get(env, "AWS_ENDPOINT_URL_S3"),
                               get(env, "AWS_ENDPOINT_URL"), from_profile("endpoint_url")})
    if (!e.empty()) {
      s.endpoint = e;
      break;
    }
  return s;
}

}  // namespace mqmon
