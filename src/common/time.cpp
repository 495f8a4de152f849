#include "mqmon/common/time.h"

#include <fmt/format.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "mqmon/common/error.h"

namespace mqmon {

namespace {
/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level
/// date algorithms").
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

int64_t utc_millis(int year, int month, int day, int hour, int minute, int second) {
  return ((days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 24 +
           hour) *
              60 +
          minute) *
             60000 +
         int64_t{second} * 1000;
}

int64_t parse_timestamp(std::string_view text) {
  auto fail = [&]() -> int64_t {
    throw ConfigError(fmt::format("'{}' is not a UTC timestamp like 2024-01-31T05:00:00Z", text));
  };
  size_t i = 0;
  auto number = [&](size_t digits) {
    int v = 0;
    for (size_t k = 0; k < digits; ++k, ++i) {
      if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) fail();
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto expect = [&](char c) {
    if (i >= text.size() || text[i] != c) fail();
    ++i;
  };
  const int year = number(4);
  expect('-');
  const int month = number(2);
  expect('-');
  const int day = number(2);
  int hour = 0, minute = 0, second = 0, millis = 0;
  if (i < text.size()) {
    if (text[i] != 'T' && text[i] != ' ') fail();
    ++i;
    hour = number(2);
    expect(':');
    minute = number(2);
    if (i < text.size() && text[i] == ':') {
      ++i;
      second = number(2);
      if (i < text.size() && text[i] == '.') {
        ++i;
        int scale = 100;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
          millis += (text[i++] - '0') * scale;
          scale /= 10;
        }
      }
    }
    const std::string_view zone = text.substr(i);
    if (zone != "Z" && zone != "+00:00" && zone != "") fail();
    i = text.size();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    fail();
  return utc_millis(year, month, day, hour, minute, second) + millis;
}

std::string format_timestamp(int64_t millis) {
  const int64_t days = floor_div(millis, 86'400'000);
  int64_t rest = millis - days * 86'400'000;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int64_t ms = rest % 1000;
  rest /= 1000;
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, rest / 3600,
                                rest / 60 % 60, rest % 60);
  if (ms) out += fmt::format(".{:03}", ms);
  return out + "Z";
}

int64_t parse_duration(std::string_view text) {
  auto fail = [&](const char* why) -> int64_t {
    throw ConfigError(
        fmt::format("'{}' is not an ISO-8601 duration like -PT1H or -P1D: {}", text, why));
  };
  size_t i = 0;
  int64_t sign = 1;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) sign = text[i++] == '-' ? -1 : 1;
  if (i >= text.size() || text[i] != 'P') fail("it must start with P (or -P)");
  ++i;
  bool in_time = false, any = false;
  int64_t total = 0;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time) fail("a second T");
      in_time = true;
      ++i;
      continue;
    }
    int64_t v = 0;
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      v = v * 10 + (text[i++] - '0');
      if (v > 1'000'000'000) fail("a number above 1000000000");  // and no overflow below
    }
    if (i == start || i >= text.size()) fail("a number must be followed by a unit");
    const char unit = text[i++];
    any = true;
    if (!in_time && unit == 'D')
      total += v * 24 * kMillisPerHour;
    else if (in_time && unit == 'H')
      total += v * kMillisPerHour;
    else if (in_time && unit == 'M')
      total += v * 60'000;
    else if (in_time && unit == 'S')
      total += v * 1000;
    else
      fail("only days (P1D) and hours, minutes, seconds (PT1H30M) are supported");
  }
  if (!any) fail("it has no amount");
  return sign * total;
}

int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since_start() {
  static const auto start = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {
std::atomic<bool> g_log_phases{false};
}

void set_log_phases(bool on) { g_log_phases = on; }

void log_phase(std::string_view what) {
  if (!g_log_phases) return;
  const std::string line = fmt::format("mqmon: [{:.3f} s] {}\n", seconds_since_start(), what);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace mqmon
