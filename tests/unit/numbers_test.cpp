#include "mqmon/common/numbers.h"

#include <gtest/gtest.h>

namespace mqmon {
TEST(Numbers, Placeholder) { EXPECT_EQ(format_json_double(1.0), "1.0"); }
}
