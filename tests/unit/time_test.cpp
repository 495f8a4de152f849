#include "mqmon/common/time.h"

#include <gtest/gtest.h>

#include "mqmon/common/error.h"

namespace mqmon {

TEST(Time, TimestampsRoundTrip) {
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_timestamp("2020-02-20T05:00:00Z"), 1582174800000);  // date -d ... +%s
  EXPECT_EQ(parse_timestamp("2020-02-20T05:00Z"), 1582174800000);
  EXPECT_EQ(parse_timestamp("2020-02-20T05:00:00+00:00"), 1582174800000);
  EXPECT_EQ(parse_timestamp("2020-02-20"), 1582156800000);
  EXPECT_EQ(parse_timestamp("2019-11-20T23:33:12.250Z"), 1574292792250);
  EXPECT_EQ(format_timestamp(1582174800000), "2020-02-20T05:00:00Z");
  EXPECT_EQ(format_timestamp(1574292792250), "2019-11-20T23:33:12.250Z");
  EXPECT_EQ(format_timestamp(parse_timestamp("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
  for (const char* bad :
       {"2020-02-20T05", "yesterday", "2020-13-01", "2020-02-20T05:00:00+02:00", ""})
    EXPECT_THROW(parse_timestamp(bad), ConfigError) << bad;
}

TEST(Time, Durations) {
  EXPECT_EQ(parse_duration("-PT1H"), -kMillisPerHour);
  EXPECT_EQ(parse_duration("PT0H"), 0);
  EXPECT_EQ(parse_duration("-PT0H"), 0);
  EXPECT_EQ(parse_duration("-P1D"), -24 * kMillisPerHour);
  EXPECT_EQ(parse_duration("-P8D"), -192 * kMillisPerHour);
  EXPECT_EQ(parse_duration("-P1DT2H30M"), -(26 * kMillisPerHour + 30 * 60000));
  EXPECT_EQ(parse_duration("PT90S"), 90000);
  for (const char* bad : {"-PT2D", "P1M", "1H", "-P", "PT", "-PT1"})
    EXPECT_THROW(parse_duration(bad), ConfigError) << bad;
}

}  // namespace mqmon
