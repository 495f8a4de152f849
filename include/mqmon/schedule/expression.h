#pragma once
/// Schedule expressions as SageMaker Model Monitor accepts them: hourly `cron(0 * ? * * *)`, daily
/// `cron(0 H ? * * *)`, every N hours `cron(0 H/N ? * * *)` (N from 1 to 24), and `NOW` for one
/// run. Times are UTC; an execution is due at the top of every matching hour.

#include <cstdint>
#include <string>
#include <vector>

namespace mqmon {

struct ScheduleExpression {
  enum class Kind { kHourly, kDaily, kEveryNHours, kNow };
  Kind kind = Kind::kHourly;
  int hour = 0;   ///< kDaily: the hour; kEveryNHours: the first hour of the day
  int every = 1;  ///< kEveryNHours: N
  std::string text;

  bool matches_hour(int hour_of_day) const;
};

/// Parses an expression; anything else is a ConfigError naming the accepted forms.
ScheduleExpression parse_schedule_expression(const std::string& text);

/// The due times in (after, until], ascending, at most `limit` of them (the latest ones when there
/// are more). `NOW` has none: its one run is due when it is created.
std::vector<int64_t> due_times(const ScheduleExpression& e, int64_t after, int64_t until,
                               size_t limit = 100000);

/// The first due time after `after` (NOW: none, -1).
int64_t next_due_time(const ScheduleExpression& e, int64_t after);

/// For NOW: checks the data analysis start and end offsets (`-PT1H`): both given, the start before
/// the end, at most 24 hours apart. Throws ConfigError.
void check_data_analysis_window(const std::string& start_offset, const std::string& end_offset);

}  // namespace mqmon
