#include <gtest/gtest.h>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/schedule/expression.h"

namespace mqmon {
namespace {

int64_t at(int day, int hour, int minute = 0) { return utc_millis(2024, 5, day, hour, minute); }

TEST(ScheduleExpression, TheServicesFormsAndTheirDueTimes) {
  const auto hourly = parse_schedule_expression("cron(0 * ? * * *)");
  EXPECT_EQ(due_times(hourly, at(1, 9, 30), at(1, 12)),
            (std::vector<int64_t>{at(1, 10), at(1, 11), at(1, 12)}));
  // The SDK's integration test spelling of hourly.
  EXPECT_EQ(parse_schedule_expression("cron(0 * * * ? *)").kind, ScheduleExpression::Kind::kHourly);
  const auto daily = parse_schedule_expression("cron(0 17 ? * * *)");
  EXPECT_EQ(due_times(daily, at(1, 0), at(3, 23)),
            (std::vector<int64_t>{at(1, 17), at(2, 17), at(3, 17)}));
  // Every 12 hours from 17: 17 only (5 is before the start hour), as cron reads 17/12.
  const auto every12 = parse_schedule_expression("cron(0 17/12 ? * * *)");
  EXPECT_EQ(due_times(every12, at(1, 0), at(2, 23)), (std::vector<int64_t>{at(1, 17), at(2, 17)}));
  const auto every2 = parse_schedule_expression("cron(0 0/2 ? * * *)");
  EXPECT_EQ(due_times(every2, at(1, 0), at(1, 7)),
            (std::vector<int64_t>{at(1, 2), at(1, 4), at(1, 6)}));
  // The start of (after, until] is open: created on the hour, the first run is the next hour.
  EXPECT_EQ(next_due_time(hourly, at(1, 10)), at(1, 11));
  EXPECT_EQ(next_due_time(daily, at(1, 17, 1)), at(2, 17));
  EXPECT_EQ(parse_schedule_expression("NOW").kind, ScheduleExpression::Kind::kNow);
  EXPECT_TRUE(due_times(parse_schedule_expression("NOW"), at(1, 0), at(9, 0)).empty());
}

TEST(ScheduleExpression, ALongGapKeepsTheLatestDueTimesWithinTheLimit) {
  const auto hourly = parse_schedule_expression("cron(0 * ? * * *)");
  const auto d = due_times(hourly, at(1, 0), at(3, 0), 5);
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d.back(), at(3, 0));
  EXPECT_EQ(d.front(), at(2, 20));
}

void refused(const std::string& text, const std::string& words) {
  try {
    parse_schedule_expression(text);
    FAIL() << text;
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(words), std::string::npos) << m;
    EXPECT_NE(m.find("the accepted forms are cron(0 * ? * * *)"), std::string::npos) << m;
  }
}

TEST(ScheduleExpression, AnythingElseNamesTheAcceptedForms) {
  refused("cron(30 * ? * * *)", "minutes must be 0");
  refused("cron(0 * 1 * ? *)", "day-of-month, month, day-of-week and year must be '?' or '*'");
  refused("cron(0 * ? 5 * *)", "must be '?' or '*'");
  refused("rate(1 hour)", "rate expressions are not accepted");
  refused("cron(0 0/25 ? * * *)", "the rate '25' is not a whole number of hours from 1 to 24");
  refused("cron(0 0/0 ? * * *)", "the rate '0'");
  refused("cron(0 24 ? * * *)", "the hour '24' is not a whole number from 0 to 23");
  refused("cron(0 * ? * *)", "has 6 fields");
  refused("hourly", "not a cron(...) expression or NOW");
  refused("now", "not a cron(...) expression or NOW");
}

TEST(ScheduleExpression, NowNeedsAWindowOfAtMost24Hours) {
  EXPECT_NO_THROW(check_data_analysis_window("-PT24H", "-PT0H"));
  EXPECT_THROW(check_data_analysis_window("", "-PT0H"), ConfigError);
  EXPECT_THROW(check_data_analysis_window("-PT1H", "-PT2H"), ConfigError);
  try {
    check_data_analysis_window("-PT25H", "-PT0H");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("more than 24 hours apart"), std::string::npos);
  }
}

}  // namespace
}  // namespace mqmon
