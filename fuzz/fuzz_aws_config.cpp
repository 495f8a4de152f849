// The AWS CLI's config and credentials files (INI), and the settings resolved from them for a
// profile. Input: the profile name on the first line, then the file (used as both files).

#include "fuzz_common.h"
#include "mqmon/io/aws_config.h"

using namespace mqmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string profile(fuzz::take_line(in));
  const fuzz::MemFile file(in);
  fuzz::expect_clean([&] { read_aws_ini(file.path()); });
  Environment env;
  env["AWS_CONFIG_FILE"] = file.path();
  env["AWS_SHARED_CREDENTIALS_FILE"] = file.path();
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  if (!profile.empty()) env["AWS_PROFILE"] = profile;
  fuzz::expect_clean([&] { resolve_aws_settings(env); });
  return 0;
}
