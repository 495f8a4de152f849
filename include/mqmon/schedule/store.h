#pragma once
/// The schedule store: monitoring schedules, their job definitions and every execution, in one
/// SQLite database (WAL, busy timeout, foreign keys). The schema is versioned with PRAGMA
/// user_version and migrated forward; a database from a newer mqmon is refused, never modified.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqmon/jobs/monitor.h"
#include "mqmon/schedule/definition.h"

namespace mqmon {

class SqliteDatabase;

/// The schema version this mqmon writes.
constexpr int kStoreSchemaVersion = 1;

/// `$MQMON_HOME/mqmon.db`, MQMON_HOME defaulting to ~/.mqmon (created when missing).
std::string default_state_path();

struct ScheduleRow {
  int64_t id = 0;
  std::string name;
  std::string expression;
  std::string status;  ///< Scheduled or Stopped
  int64_t created_at = 0, updated_at = 0;
  int64_t cursor = 0;  ///< due times up to here are handled
  JobDefinition definition;
};

struct MetricRow {
  std::string name;
  double value = 0, standard_deviation = 0;  ///< NaN when undefined
  std::optional<double> threshold;
  std::string comparison_operator;
};

struct ExecutionRow {
  int64_t id = 0;
  int64_t schedule_id = 0;
  std::string schedule_name, endpoint_name;
  int64_t scheduled_time = 0, window_start = 0, window_end = 0;
  std::string output;
  /// Pending, InProgress, Completed, CompletedWithViolations, Failed or Stopped.
  std::string status;
  std::string failure_reason;
  std::optional<int64_t> exit_code;
  int64_t created_at = 0;
  std::optional<int64_t> started_at, ended_at;
  std::string runner_host;
  std::optional<int64_t> runner_pid, lease_until;
  std::optional<int64_t> item_count, violation_count;
  std::optional<double> label_coverage;
  std::vector<MetricRow> metrics;  ///< filled by get_execution / list with metrics
};

struct ExecutionFilter {
  std::string schedule;  ///< empty: all
  std::string status;    ///< empty: all
  int64_t since = INT64_MIN;
  bool with_metrics = false;
};

/// What to do with due times missed while no scheduler ran.
enum class CatchUp { kLatest, kAll, kNone };
CatchUp parse_catch_up(const std::string& text);

class ScheduleStore {
 public:
  /// Opens (creating and migrating) the database at `path`. Throws IoError.
  explicit ScheduleStore(const std::string& path);
  ~ScheduleStore();
  /// The database file (another connection to it: ScheduleStore(store.path())).
  const std::string& path() const { return path_; }

  /// Throws ConfigError when the name exists.
  void create_schedule(const std::string& name, const std::string& expression,
                       const JobDefinition& definition, int64_t now);
  std::optional<ScheduleRow> find_schedule(const std::string& name);
  /// Throws ConfigError naming the known schedules when there is none of that name.
  ScheduleRow get_schedule(const std::string& name);
  std::vector<ScheduleRow> list_schedules();
  void update_schedule(const std::string& name, const std::string& expression,
                       const JobDefinition& definition, int64_t now);
  /// Scheduled or Stopped. Starting a stopped schedule resumes from `now`: the times it was
  /// stopped for are not run.
  void set_status(const std::string& name, const std::string& status, int64_t now);
  /// Deletes the schedule and its job definition; with `purge`, its executions too. Returns the
  /// output folders of the purged executions.
  std::vector<std::string> delete_schedule(const std::string& name, bool purge);

  /// Records the due executions of every Scheduled schedule up to `now` as Pending (at most once
  /// per schedule and time, whatever other schedulers do) and moves the schedules' cursors.
  /// `grace_ms`: with CatchUp::kNone, how late a due time may be and still run.
  size_t plan_due(int64_t now, CatchUp catch_up, int64_t grace_ms);
  /// Claims the oldest Pending execution for this runner: InProgress, with a lease of `lease_ms`
  /// (wall-clock time, whatever clock plans the due times). A Pending execution whose schedule was
  /// stopped or deleted meanwhile becomes Stopped.
  std::optional<ExecutionRow> claim_next(const std::string& host, int64_t pid, int64_t lease_ms);
  void renew_lease(int64_t execution_id, int64_t lease_ms);
  /// Records the end of a claimed execution (unless it was resolved as an orphan meanwhile).
  /// `exit_code`: the code `mqmon monitor` would have exited with; none when the execution was
  /// stopped.
  void finish(int64_t execution_id, const MonitorResult& result, std::optional<int> exit_code);
  /// InProgress executions whose runner is gone become Failed ("the runner stopped during the
  /// execution"): its process on this host no longer exists, or its lease expired. Returns them.
  std::vector<ExecutionRow> resolve_orphans(const std::string& host);

  std::vector<ExecutionRow> list_executions(const ExecutionFilter& filter);
  /// Throws ConfigError when there is no such execution.
  ExecutionRow get_execution(int64_t id);
  /// The latest execution of a schedule, if any.
  std::optional<ExecutionRow> last_execution(const std::string& schedule);

 private:
  void migrate();
  std::vector<MetricRow> metrics_of(int64_t execution_id);
  std::string path_;
  std::unique_ptr<SqliteDatabase> db_;
};

}  // namespace mqmon
