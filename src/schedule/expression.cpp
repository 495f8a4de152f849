#include "mqmon/schedule/expression.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <sstream>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"

namespace mqmon {

namespace {

constexpr const char* kAccepted =
    "the accepted forms are cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H, "
    "0-23), cron(0 H/N ? * * *) (every N hours from hour H, N from 1 to 24) and NOW (one run, with "
    "--data-analysis-start-time and --data-analysis-end-time)";

[[noreturn]] void refuse(const std::string& text, const std::string& why) {
  throw ConfigError(fmt::format("schedule expression '{}': {}; {}", text, why, kAccepted));
}

/// A whole number in [lo, hi], or -1.
int number(const std::string& s, int lo, int hi) {
  int v = -1;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return -1;
  return v;
}

}  // namespace

bool ScheduleExpression::matches_hour(int h) const {
  switch (kind) {
    case Kind::kHourly:
      return true;
    case Kind::kDaily:
      return h == hour;
    case Kind::kEveryNHours:
      return h >= hour && (h - hour) % every == 0;
    case Kind::kNow:
      return false;
  }
  return false;
}

ScheduleExpression parse_schedule_expression(const std::string& text) {
  ScheduleExpression e;
  e.text = text;
  if (text == "NOW") {
    e.kind = ScheduleExpression::Kind::kNow;
    return e;
  }
  if (text.rfind("rate(", 0) == 0) refuse(text, "rate expressions are not accepted");
  if (text.rfind("cron(", 0) != 0 || text.back() != ')')
    refuse(text, "not a cron(...) expression or NOW");
  std::istringstream in(text.substr(5, text.size() - 6));
  std::vector<std::string> f;
  for (std::string s; in >> s;) f.push_back(s);
  if (f.size() != 6)
    refuse(text, fmt::format("a cron expression has 6 fields (minutes hours day-of-month month "
                             "day-of-week year), this one {}",
                             f.size()));
  if (f[0] != "0")
    refuse(text, fmt::format("minutes must be 0 (executions start on the hour), not '{}'", f[0]));
  // Day of month and day of week: one is '?', the other '*' (the SDK also writes cron(0 * * * ?
  // *)).
  const bool days_any = (f[2] == "?" && f[4] == "*") || (f[2] == "*" && f[4] == "?");
  if (!days_any || f[3] != "*" || f[5] != "*")
    refuse(text,
           "day-of-month, month, day-of-week and year must be '?' or '*': executions run "
           "every day");
  const std::string& h = f[1];
  if (h == "*") return e;
  const auto slash = h.find('/');
  if (slash == std::string::npos) {
    e.kind = ScheduleExpression::Kind::kDaily;
    e.hour = number(h, 0, 23);
    if (e.hour < 0)
      refuse(text, fmt::format("the hour '{}' is not a whole number from 0 to 23", h));
    return e;
  }
  e.kind = ScheduleExpression::Kind::kEveryNHours;
  e.hour = number(h.substr(0, slash), 0, 23);
  e.every = number(h.substr(slash + 1), 1, 24);
  if (e.hour < 0)
    refuse(text, fmt::format("the starting hour '{}' is not a whole number from 0 to 23",
                             h.substr(0, slash)));
  if (e.every < 0)
    refuse(text, fmt::format("the rate '{}' is not a whole number of hours from 1 to 24",
                             h.substr(slash + 1)));
  return e;
}

std::vector<int64_t> due_times(const ScheduleExpression& e, int64_t after, int64_t until,
                               size_t limit) {
  std::vector<int64_t> out;
  if (e.kind == ScheduleExpression::Kind::kNow || until <= after) return out;
  // The first whole hour after `after`.
  int64_t t = (after / kMillisPerHour + 1) * kMillisPerHour;
  if (after < 0 && after % kMillisPerHour != 0) t -= kMillisPerHour;
  for (; t <= until; t += kMillisPerHour) {
    const int hour = static_cast<int>(((t / kMillisPerHour) % 24 + 24) % 24);
    if (!e.matches_hour(hour)) continue;
    out.push_back(t);
    if (out.size() > limit) out.erase(out.begin());
  }
  return out;
}

int64_t next_due_time(const ScheduleExpression& e, int64_t after) {
  if (e.kind == ScheduleExpression::Kind::kNow) return -1;
  const auto d = due_times(e, after, after + 25 * kMillisPerHour);
  return d.empty() ? -1 : d.front();
}

void check_data_analysis_window(const std::string& start_offset, const std::string& end_offset) {
  if (start_offset.empty() || end_offset.empty())
    throw ConfigError(
        "a NOW schedule needs --data-analysis-start-time and --data-analysis-end-time (offsets "
        "from the run's time, such as -PT1H and -PT0H)");
  const int64_t start = parse_duration(start_offset), end = parse_duration(end_offset);
  if (end <= start)
    throw ConfigError(
        fmt::format("--data-analysis-start-time {} must come before --data-analysis-end-time {}",
                    start_offset, end_offset));
  if (end - start > 24 * kMillisPerHour)
    throw ConfigError(fmt::format(
        "--data-analysis-start-time {} and --data-analysis-end-time {} are more than 24 hours "
        "apart; a NOW run analyses at most 24 hours",
        start_offset, end_offset));
}

}  // namespace mqmon
