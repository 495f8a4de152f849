#pragma once
/// The scheduler: finds the due executions of every Scheduled schedule, runs each exactly once as
/// `mqmon monitor` would (in a child process, so that a run over its max_runtime_in_seconds can be
/// stopped and a crash cannot take the scheduler down), and records the results.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mqmon/schedule/store.h"

namespace mqmon {

struct RunnerOptions {
  CatchUp catch_up = CatchUp::kLatest;
  /// CatchUp::kNone: a due time this late still runs (the service starts up to 20 minutes late).
  int64_t grace_ms = 20 * 60 * 1000;
  /// How long a claimed execution stays ours without a renewal; renewed every third of it.
  int64_t lease_ms = 60 * 1000;
  /// Executions this runner runs at once (each in its own child process, each thread with its
  /// own connection to the store).
  unsigned max_concurrent = 1;
  /// One line per event (an execution's end, an orphan resolved); empty: quiet.
  std::function<void(const std::string&)> log;
  /// Adjusts each execution's configuration before it runs (the command line adds its report
  /// renderer, a layer above the scheduler).
  std::function<void(MonitorConfig&)> prepare;
};

struct RoundReport {
  size_t planned = 0;                  ///< executions this round recorded as due
  std::vector<ExecutionRow> orphans;   ///< executions of vanished runners, now Failed
  std::vector<ExecutionRow> finished;  ///< executions this runner ran, as recorded
};

/// One round at time `now` (the scheduling clock; labels collected up to `now` are merged):
/// resolves orphans, records what is due, then runs Pending executions until none is left.
RoundReport run_due_executions(ScheduleStore& store, int64_t now, const RunnerOptions& options);

/// Rounds at the wall-clock time until `stop` is set, sleeping until the next due time (at most a
/// minute, so schedules created meanwhile are seen).
void run_scheduler(ScheduleStore& store, const RunnerOptions& options,
                   const std::atomic<bool>& stop);

/// Removes the local output folders among `folders` (a purged schedule's); returns how many.
size_t remove_local_outputs(const std::vector<std::string>& folders);

/// The next due time of any Scheduled schedule after `now` (-1: none).
int64_t next_due_time(ScheduleStore& store, int64_t now);

}  // namespace mqmon
