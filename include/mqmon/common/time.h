#pragma once
/// UTC timestamps and ISO-8601 durations, as monitoring windows use them.

#include <cstdint>
#include <string>
#include <string_view>

namespace mqmon {

constexpr int64_t kMillisPerHour = 3'600'000;

/// Milliseconds since 1970-01-01T00:00:00Z of an ISO-8601 UTC timestamp: `2024-01-31T05:00:00Z`,
/// with optional seconds, fraction and `Z`/`+00:00`; a bare date means midnight. Throws
/// ConfigError.
int64_t parse_timestamp(std::string_view text);

/// `2024-01-31T05:00:00Z` (with `.mmm` when the milliseconds are not zero).
std::string format_timestamp(int64_t millis);

/// Milliseconds of an ISO-8601 duration with days, hours, minutes and seconds: `-PT1H`, `-P1D`,
/// `PT0H`, `-P1DT2H30M`, `PT90S`. Years, months and weeks are refused (their length varies).
/// Throws ConfigError.
int64_t parse_duration(std::string_view text);

/// Milliseconds since the epoch for a UTC civil date and time.
int64_t utc_millis(int year, int month, int day, int hour, int minute = 0, int second = 0);

/// The current time.
int64_t now_millis();

/// Seconds since the process's clock started (main() starts it by a first call).
double seconds_since_start();

/// --verbose: the phases of a job with their times since the start on stderr
/// ("mqmon: [0.412 s] last rows accumulated").
void set_log_phases(bool on);
void log_phase(std::string_view what);

}  // namespace mqmon
