#include "mqmon/readers/json_path.h"

#include <gtest/gtest.h>

#include "mqmon/common/error.h"
#include "mqmon/readers/json_reader.h"

namespace mqmon {

TEST(JsonPath, TheSupportedForms) {
  EXPECT_EQ(json_pointer("$.a.b"), "/a/b");
  EXPECT_EQ(json_pointer("$.a[0]"), "/a/0");
  EXPECT_EQ(json_pointer("a.b"), "/a/b");
  EXPECT_EQ(json_pointer("label"), "/label");
  EXPECT_EQ(json_pointer("$['a b']"), "/a b");
  EXPECT_EQ(json_pointer("$[\"x.y\"][2].z"), "/x.y/2/z");
  EXPECT_EQ(json_pointer("$.predictions[0].scores[1]"), "/predictions/0/scores/1");
  EXPECT_EQ(json_pointer("$"), "");
  EXPECT_EQ(json_pointer("$['a/b~c']"), "/a~1b~0c");  // RFC 6901 escapes
  EXPECT_EQ(json_pointer("0"), "/0");
}

TEST(JsonPath, SyntaxErrorsNameThePosition) {
  for (const char* bad : {"", "$.", "$.a[", "$.a[x]", "$['a", "$..a", "a b[0", "$a"}) {
    try {
      json_pointer(bad);
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("position"), std::string::npos) << e.what();
    }
  }
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  std::string out;
  ASSERT_TRUE(decode_base64("eyJzY29yZSI6IDAuNH0=", out));
  EXPECT_EQ(out, "{\"score\": 0.4}");
  ASSERT_TRUE(decode_base64("MC45", out));
  EXPECT_EQ(out, "0.9");
  ASSERT_TRUE(decode_base64("MC4\n5", out));
  EXPECT_EQ(out, "0.9");
  EXPECT_FALSE(decode_base64("MC4*", out));
  EXPECT_FALSE(decode_base64("MC==45", out));
}

}  // namespace mqmon
