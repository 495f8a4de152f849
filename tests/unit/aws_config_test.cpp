#include "mqmon/io/aws_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mqmon/common/error.h"

namespace mqmon {
namespace {

struct Files {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mqmon_aws_" + std::to_string(::getpid()));
  Files() {
    std::filesystem::create_directories(dir / ".aws");
    std::ofstream(dir / ".aws" / "credentials")
        << "[default]\naws_access_key_id = AKIDDEFAULT\n"
           "aws_secret_access_key = secretdefault\n\n"
           "[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=secretdev\n"
           "aws_session_token = tok\n";
    std::ofstream(dir / ".aws" / "config") << "[default]\nregion = eu-west-1\n"
                                              "# a comment\n[profile dev]\nregion=ap-south-1\n"
                                              "endpoint_url = http://127.0.0.1:9000\n";
  }
  ~Files() { std::filesystem::remove_all(dir); }
  Environment env(Environment extra = {}) const {
    extra["HOME"] = dir.string();
    return extra;
  }
};

TEST(AwsConfig, ProfilesFromTheSharedFiles) {
  Files f;
  auto s = resolve_aws_settings(f.env());
  EXPECT_EQ(s.profile, "default");
  EXPECT_EQ(s.credentials.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(s.credentials.secret_access_key, "secretdefault");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.endpoint, "");
  s = resolve_aws_settings(f.env({{"AWS_PROFILE", "dev"}}));
  EXPECT_EQ(s.credentials.access_key_id, "AKIDDEV");
  EXPECT_EQ(s.credentials.session_token, "tok");
  EXPECT_EQ(s.region, "ap-south-1");
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:9000");
}

TEST(AwsConfig, EnvironmentWinsAndOverridesApply) {
  Files f;
  const auto s = resolve_aws_settings(f.env({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                             {"AWS_SECRET_ACCESS_KEY", "secretenv"},
                                             {"AWS_SESSION_TOKEN", "t2"},
                                             {"AWS_DEFAULT_REGION", "us-west-2"},
                                             {"AWS_ENDPOINT_URL", "http://localhost:5000"}}));
  EXPECT_EQ(s.credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(s.credentials.session_token, "t2");
  EXPECT_EQ(s.region, "us-west-2");
  EXPECT_EQ(s.endpoint, "http://localhost:5000");
  EXPECT_EQ(resolve_aws_settings(
                f.env({{"AWS_REGION", "sa-east-1"}, {"AWS_DEFAULT_REGION", "us-west-2"}}),
                "http://127.0.0.1:1234")
                .region,
            "sa-east-1");
  EXPECT_EQ(resolve_aws_settings(f.env(), "http://127.0.0.1:1234").endpoint,
            "http://127.0.0.1:1234");
}

TEST(AwsConfig, MissingCredentialsSayWhereItLookedWithoutSecrets) {
  Files f;
  try {
    resolve_aws_settings(f.env({{"AWS_PROFILE", "nobody"}, {"AWS_EC2_METADATA_DISABLED", "TRUE"}}));
    FAIL();
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("profile 'nobody'"), std::string::npos) << m;
    EXPECT_NE(m.find(".aws/credentials"), std::string::npos) << m;
    EXPECT_EQ(m.find("secretdefault"), std::string::npos) << m;  // never a secret value
    EXPECT_EQ(m.find("secretdev"), std::string::npos) << m;
    EXPECT_NE(m.find("(instance metadata is disabled)"), std::string::npos) << m;
  }
}

TEST(AwsConfig, DynamicSourcesInTheChainsOrder) {
  Files f;
  std::ofstream(f.dir / ".aws" / "config", std::ios::app)
      << "[profile tool]\ncredential_process = /opt/bin/get-creds --role x\nregion = eu-north-1\n";
  auto s = resolve_aws_settings(f.env({{"AWS_PROFILE", "tool"}}));
  EXPECT_EQ(s.source, CredentialSource::kProcess);
  EXPECT_EQ(s.credential_process, "/opt/bin/get-creds --role x");
  EXPECT_EQ(s.origin, "the credential_process of profile 'tool'");
  EXPECT_EQ(s.region, "eu-north-1");
  // Keys in the environment come first.
  s = resolve_aws_settings(
      f.env({{"AWS_PROFILE", "tool"}, {"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "B"}}));
  EXPECT_EQ(s.source, CredentialSource::kStatic);
  EXPECT_EQ(s.origin, "environment variables");

  s = resolve_aws_settings(f.env({{"AWS_PROFILE", "nobody"},
                                  {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"}}));
  EXPECT_EQ(s.source, CredentialSource::kContainer);
  EXPECT_EQ(s.container_uri, "http://169.254.170.2/v2/credentials/abc");
  EXPECT_EQ(s.container_authorization, "tok");
  std::ofstream(f.dir / "token") << "from-file\n";
  s = resolve_aws_settings(
      f.env({{"AWS_PROFILE", "nobody"},
             {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/c"},
             {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (f.dir / "token").string()}}));
  EXPECT_EQ(s.container_uri, "http://127.0.0.1:9/c");
  EXPECT_EQ(s.container_authorization, "from-file");

  s = resolve_aws_settings(f.env({{"AWS_PROFILE", "nobody"}}));
  EXPECT_EQ(s.source, CredentialSource::kInstanceMetadata);
  EXPECT_EQ(s.metadata_endpoint, "http://169.254.169.254");
  EXPECT_EQ(s.metadata_timeout_seconds, 1);
  s = resolve_aws_settings(f.env({{"AWS_PROFILE", "nobody"},
                                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]/"},
                                  {"AWS_METADATA_SERVICE_TIMEOUT", "3"},
                                  {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"}}));
  EXPECT_EQ(s.metadata_endpoint, "http://[fd00:ec2::254]");
  EXPECT_EQ(s.metadata_timeout_seconds, 3);
  EXPECT_EQ(s.metadata_attempts, 2);
  EXPECT_THROW(resolve_aws_settings(
                   f.env({{"AWS_PROFILE", "nobody"}, {"AWS_METADATA_SERVICE_TIMEOUT", "soon"}})),
               ConfigError);
  EXPECT_THROW(resolve_aws_settings(f.env({{"AWS_ACCESS_KEY_ID", "A"}})), ConfigError);
}

TEST(AwsConfig, IntegerSettings) {
  EXPECT_EQ(environment_integer({}, "N", 7, 1, 10), 7);
  EXPECT_EQ(environment_integer({{"N", ""}}, "N", 7, 1, 10), 7);
  EXPECT_EQ(environment_integer({{"N", "10"}}, "N", 7, 1, 10), 10);
  for (const char* bad : {"11", "0", "3x", "x", "2.5"}) {
    try {
      environment_integer({{"N", bad}}, "N", 7, 1, 10);
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("N '") + bad + "' is not a whole number from 1 to 10");
    }
  }
}

TEST(AwsConfig, ProcessEnvironmentIsRead) {
  ::setenv("MQMON_TEST_VARIABLE", "x=y", 1);
  EXPECT_EQ(process_environment().at("MQMON_TEST_VARIABLE"), "x=y");
}

}  // namespace
}  // namespace mqmon
