#include "mqmon/schedule/store.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/schedule/expression.h"
#include "mqmon/schedule/sqlite.h"

namespace mqmon {

namespace {

/// Version 1: schedules with their job definitions, executions, and their metrics.
constexpr const char* kSchemaV1 = R"(
CREATE TABLE job_definitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  definition TEXT NOT NULL
);
CREATE TABLE schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  job_definition_id INTEGER NOT NULL REFERENCES job_definitions(id),
  expression TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('Scheduled', 'Stopped')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  cursor INTEGER NOT NULL
);
CREATE TABLE executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schedule_id INTEGER NOT NULL,
  schedule_name TEXT NOT NULL,
  endpoint_name TEXT NOT NULL,
  scheduled_time INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  output TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('Pending', 'InProgress', 'Completed',
                                         'CompletedWithViolations', 'Failed', 'Stopped')),
  failure_reason TEXT NOT NULL DEFAULT '',
  exit_code INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  runner_host TEXT NOT NULL DEFAULT '',
  runner_pid INTEGER,
  lease_until INTEGER,
  item_count INTEGER,
  violation_count INTEGER,
  label_coverage REAL,
  UNIQUE (schedule_id, scheduled_time)
);
CREATE INDEX executions_by_status ON executions (status, scheduled_time);
CREATE INDEX executions_by_schedule ON executions (schedule_name, scheduled_time);
CREATE TABLE execution_metrics (
  execution_id INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  standard_deviation REAL,
  threshold REAL,
  comparison_operator TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (execution_id, name)
);
)";

constexpr const char* kExecutionColumns =
    "id, schedule_id, schedule_name, endpoint_name, scheduled_time, window_start, window_end, "
    "output, status, failure_reason, exit_code, created_at, started_at, ended_at, runner_host, "
    "runner_pid, lease_until, item_count, violation_count, label_coverage";

ExecutionRow execution_of(const SqliteStatement& s) {
  ExecutionRow e;
  e.id = s.integer(0);
  e.schedule_id = s.integer(1);
  e.schedule_name = s.text(2);
  e.endpoint_name = s.text(3);
  e.scheduled_time = s.integer(4);
  e.window_start = s.integer(5);
  e.window_end = s.integer(6);
  e.output = s.text(7);
  e.status = s.text(8);
  e.failure_reason = s.text(9);
  e.exit_code = s.optional_integer(10);
  e.created_at = s.integer(11);
  e.started_at = s.optional_integer(12);
  e.ended_at = s.optional_integer(13);
  e.runner_host = s.text(14);
  e.runner_pid = s.optional_integer(15);
  e.lease_until = s.optional_integer(16);
  e.item_count = s.optional_integer(17);
  e.violation_count = s.optional_integer(18);
  if (!s.is_null(19)) e.label_coverage = s.real(19);
  return e;
}

constexpr const char* kScheduleColumns =
    "s.id, s.name, s.expression, s.status, s.created_at, s.updated_at, s.cursor, j.definition";

ScheduleRow schedule_of(const SqliteStatement& s) {
  ScheduleRow r;
  r.id = s.integer(0);
  r.name = s.text(1);
  r.expression = s.text(2);
  r.status = s.text(3);
  r.created_at = s.integer(4);
  r.updated_at = s.integer(5);
  r.cursor = s.integer(6);
  r.definition = job_definition_from_json(s.text(7));
  return r;
}

void check_name(const std::string& name) {
  // The service's rule for MonitoringScheduleName: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*, up to 63.
  bool ok = !name.empty() && name.size() <= 63 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (size_t i = 0; ok && i < name.size(); ++i)
    ok = std::isalnum(static_cast<unsigned char>(name[i])) || name[i] == '-';
  if (!ok || name.back() == '-')
    throw ConfigError(fmt::format(
        "schedule name '{}': use 1 to 63 letters, digits and hyphens, starting and ending with a "
        "letter or digit",
        name));
}

}  // namespace

std::string default_state_path() {
  const char* home = std::getenv("MQMON_HOME");
  std::string dir;
  if (home && *home) {
    dir = home;
  } else {
    const char* user_home = std::getenv("HOME");
    if (!user_home || !*user_home)
      throw ConfigError("neither MQMON_HOME nor HOME is set: give --state PATH");
    dir = std::string(user_home) + "/.mqmon";
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create {}: {}", dir, ec.message()));
  return dir + "/mqmon.db";
}

CatchUp parse_catch_up(const std::string& text) {
  if (text == "latest") return CatchUp::kLatest;
  if (text == "all") return CatchUp::kAll;
  if (text == "none") return CatchUp::kNone;
  throw ConfigError(not_one_of("--catch-up", text, {"latest", "all", "none"}));
}

ScheduleStore::ScheduleStore(const std::string& path)
    : path_(path), db_(std::make_unique<SqliteDatabase>(path)) {
  migrate();
}

ScheduleStore::~ScheduleStore() = default;

void ScheduleStore::migrate() {
  // Read the version before anything writes (WAL mode itself writes the header).
  auto version_of = [&] {
    auto q = db_->prepare("PRAGMA user_version");
    q.step();
    return q.integer(0);
  };
  auto refuse_newer = [&](int64_t v) {
    if (v > kStoreSchemaVersion)
      throw IoError(fmt::format(
          "{} was written by a newer mqmon (schema version {}; this mqmon knows up to {}): it was "
          "left untouched; use that mqmon, or another --state path",
          db_->path(), v, kStoreSchemaVersion));
  };
  refuse_newer(version_of());
  db_->exec_when_free("PRAGMA journal_mode = WAL");
  db_->exec("PRAGMA foreign_keys = ON");
  db_->transaction([&] {
    const int64_t v = version_of();  // again, under the write lock: another process may have won
    refuse_newer(v);
    if (v < 1) db_->exec(kSchemaV1);
    // Later versions: if (v < 2) db_->exec(kMigrationV2); ...
    db_->exec(fmt::format("PRAGMA user_version = {}", kStoreSchemaVersion).c_str());
  });
}

void ScheduleStore::create_schedule(const std::string& name, const std::string& expression,
                                    const JobDefinition& definition, int64_t now) {
  check_name(name);
  db_->transaction([&] {
    if (find_schedule(name))
      throw ConfigError(
          fmt::format("a schedule named '{}' exists already: choose another name, "
                      "or change it with mqmon schedule update",
                      name));
    db_->prepare("INSERT INTO job_definitions (definition) VALUES (?)")
        .bind(1, to_json(definition))
        .run();
    const int64_t definition_id = db_->last_insert_rowid();
    db_->prepare(
           "INSERT INTO schedules (name, job_definition_id, expression, status, created_at, "
           "updated_at, cursor) VALUES (?, ?, ?, 'Scheduled', ?, ?, ?)")
        .bind(1, name)
        .bind(2, definition_id)
        .bind(3, expression)
        .bind(4, now)
        .bind(5, now)
        .bind(6, now)  // the first due time is the first matching hour after the creation
        .run();
  });
}

std::optional<ScheduleRow> ScheduleStore::find_schedule(const std::string& name) {
  auto q = db_->prepare(fmt::format("SELECT {} FROM schedules s JOIN job_definitions j ON "
                                    "j.id = s.job_definition_id WHERE s.name = ?",
                                    kScheduleColumns)
                            .c_str());
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return schedule_of(q);
}

ScheduleRow ScheduleStore::get_schedule(const std::string& name) {
  if (auto s = find_schedule(name)) return *s;
  std::vector<std::string> names;
  for (const auto& s : list_schedules()) names.push_back(s.name);
  throw ConfigError(
      fmt::format("there is no schedule named '{}'{}{}", name, did_you_mean(name, names),
                  names.empty() ? std::string("; there are no schedules")
                                : fmt::format("; the schedules are: {}", fmt::join(names, ", "))));
}

std::vector<ScheduleRow> ScheduleStore::list_schedules() {
  auto q = db_->prepare(fmt::format("SELECT {} FROM schedules s JOIN job_definitions j ON "
                                    "j.id = s.job_definition_id ORDER BY s.name",
                                    kScheduleColumns)
                            .c_str());
  std::vector<ScheduleRow> out;
  while (q.step()) out.push_back(schedule_of(q));
  return out;
}

void ScheduleStore::update_schedule(const std::string& name, const std::string& expression,
                                    const JobDefinition& definition, int64_t now) {
  db_->transaction([&] {
    const ScheduleRow s = get_schedule(name);
    db_->prepare(
           "UPDATE job_definitions SET definition = ? WHERE id = (SELECT job_definition_id FROM "
           "schedules WHERE id = ?)")
        .bind(1, to_json(definition))
        .bind(2, s.id)
        .run();
    db_->prepare("UPDATE schedules SET expression = ?, updated_at = ? WHERE id = ?")
        .bind(1, expression)
        .bind(2, now)
        .bind(3, s.id)
        .run();
  });
}

void ScheduleStore::set_status(const std::string& name, const std::string& status, int64_t now) {
  db_->transaction([&] {
    const ScheduleRow s = get_schedule(name);
    if (s.status == status) return;
    // Resuming: the times the schedule was stopped for are not run.
    db_->prepare(
           "UPDATE schedules SET status = ?, updated_at = ?, cursor = CASE WHEN ? = 'Scheduled' "
           "THEN MAX(cursor, ?) ELSE cursor END WHERE id = ?")
        .bind(1, status)
        .bind(2, now)
        .bind(3, status)
        .bind(4, now)
        .bind(5, s.id)
        .run();
  });
}

std::vector<std::string> ScheduleStore::delete_schedule(const std::string& name, bool purge) {
  return db_->transaction([&] {
    const ScheduleRow s = get_schedule(name);
    std::vector<std::string> outputs;
    if (purge) {
      auto q = db_->prepare("SELECT output FROM executions WHERE schedule_id = ?");
      q.bind(1, s.id);
      while (q.step()) outputs.push_back(q.text(0));
      db_->prepare("DELETE FROM executions WHERE schedule_id = ?").bind(1, s.id).run();
    }
    db_->prepare("DELETE FROM schedules WHERE id = ?").bind(1, s.id).run();
    db_->prepare(
           "DELETE FROM job_definitions WHERE id NOT IN (SELECT job_definition_id FROM "
           "schedules)")
        .run();
    return outputs;
  });
}

size_t ScheduleStore::plan_due(int64_t now, CatchUp catch_up, int64_t grace_ms) {
  return db_->transaction([&] {
    size_t added = 0;
    auto insert = db_->prepare(
        "INSERT OR IGNORE INTO executions (schedule_id, schedule_name, endpoint_name, "
        "scheduled_time, window_start, window_end, output, status, created_at) VALUES (?, ?, ?, "
        "?, ?, ?, ?, 'Pending', ?)");
    auto move_cursor = db_->prepare("UPDATE schedules SET cursor = ? WHERE id = ? AND cursor < ?");
    for (const ScheduleRow& s : list_schedules()) {
      if (s.status != "Scheduled") continue;
      const ScheduleExpression e = parse_schedule_expression(s.expression);
      const bool once = e.kind == ScheduleExpression::Kind::kNow;
      std::vector<int64_t> due;
      if (once) {  // due once, at its creation
        if (s.cursor <= s.created_at && s.created_at <= now) due.push_back(s.created_at);
      } else {
        due = due_times(e, s.cursor, now);
      }
      if (due.empty()) continue;
      const int64_t last = once ? s.created_at + 1 : due.back();
      if (catch_up == CatchUp::kLatest) due.erase(due.begin(), due.end() - 1);
      if (catch_up == CatchUp::kNone)
        due.erase(due.begin(), std::find_if(due.begin(), due.end(),
                                            [&](int64_t t) { return now - t <= grace_ms; }));
      for (const int64_t t : due) {
        const auto [start, end] = s.definition.window(t, once);
        insert.reset();
        insert.bind(1, s.id)
            .bind(2, s.name)
            .bind(3, s.definition.endpoint_name)
            .bind(4, t)
            .bind(5, start)
            .bind(6, end)
            .bind(7, s.definition.output_folder(s.name, t))
            .bind(8, now_millis())
            .run();
        added += static_cast<size_t>(db_->changes());
      }
      move_cursor.reset();
      move_cursor.bind(1, last).bind(2, s.id).bind(3, last).run();
    }
    return added;
  });
}

std::optional<ExecutionRow> ScheduleStore::claim_next(const std::string& host, int64_t pid,
                                                      int64_t lease_ms) {
  return db_->transaction([&]() -> std::optional<ExecutionRow> {
    for (;;) {
      auto q = db_->prepare(
          "SELECT e.id, s.status FROM executions e LEFT JOIN schedules s ON s.id = "
          "e.schedule_id WHERE e.status = 'Pending' ORDER BY e.scheduled_time, e.id LIMIT 1");
      if (!q.step()) return std::nullopt;
      const int64_t id = q.integer(0);
      const std::string schedule_status = q.is_null(1) ? std::string() : q.text(1);
      const int64_t now = now_millis();
      if (schedule_status != "Scheduled") {
        db_->prepare(
               "UPDATE executions SET status = 'Stopped', ended_at = ?, failure_reason = ? WHERE "
               "id = ?")
            .bind(1, now)
            .bind(2, schedule_status.empty() ? "the schedule was deleted before the execution"
                                             : "the schedule was stopped before the execution")
            .bind(3, id)
            .run();
        continue;
      }
      db_->prepare(
             "UPDATE executions SET status = 'InProgress', started_at = ?, runner_host = ?, "
             "runner_pid = ?, lease_until = ? WHERE id = ? AND status = 'Pending'")
          .bind(1, now)
          .bind(2, host)
          .bind(3, pid)
          .bind(4, now + lease_ms)
          .bind(5, id)
          .run();
      return get_execution(id);
    }
  });
}

void ScheduleStore::renew_lease(int64_t execution_id, int64_t lease_ms) {
  db_->prepare("UPDATE executions SET lease_until = ? WHERE id = ? AND status = 'InProgress'")
      .bind(1, now_millis() + lease_ms)
      .bind(2, execution_id)
      .run();
}

void ScheduleStore::finish(int64_t execution_id, const MonitorResult& r,
                           std::optional<int> exit_code) {
  const bool done = r.status != ExecutionStatus::kFailed;
  db_->transaction([&] {
    db_->prepare(
           "UPDATE executions SET status = ?, failure_reason = ?, exit_code = ?, ended_at = ?, "
           "item_count = ?, violation_count = ?, label_coverage = ?, lease_until = NULL WHERE "
           "id = ? AND status = 'InProgress'")
        .bind(1, status_name(r.status))
        .bind(2, r.failure_reason)
        .bind(3, exit_code ? std::optional<int64_t>(*exit_code) : std::nullopt)
        .bind(4, now_millis())
        .bind(5, done ? std::optional<int64_t>(r.item_count) : std::nullopt)
        .bind(6, done ? std::optional<int64_t>(r.violations) : std::nullopt)
        .bind(7, r.merge && r.merge->inferences ? r.merge->label_coverage() : std::nan(""))
        .bind(8, execution_id)
        .run();
    if (db_->changes() == 0) return;  // resolved as an orphan meanwhile: that record stands
    auto insert = db_->prepare(
        "INSERT INTO execution_metrics (execution_id, name, value, standard_deviation, "
        "threshold, comparison_operator) VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& m : r.metrics) {
      insert.reset();
      insert.bind(1, execution_id)
          .bind(2, m.name)
          .bind(3, m.value.value)
          .bind(4, m.value.standard_deviation);
      if (m.constraint)
        insert.bind(5, m.constraint->threshold).bind(6, operator_name(m.constraint->op));
      else
        insert.bind_null(5).bind(6, "");
      insert.run();
    }
  });
}

std::vector<ExecutionRow> ScheduleStore::resolve_orphans(const std::string& host) {
  return db_->transaction([&] {
    std::vector<ExecutionRow> orphans;
    const int64_t now = now_millis();
    auto q = db_->prepare(
        fmt::format("SELECT {} FROM executions WHERE status = 'InProgress'", kExecutionColumns)
            .c_str());
    while (q.step()) {
      ExecutionRow e = execution_of(q);
      const bool gone_here = e.runner_host == host && e.runner_pid &&
                             ::kill(static_cast<pid_t>(*e.runner_pid), 0) != 0 && errno == ESRCH;
      const bool expired = e.lease_until && *e.lease_until < now;
      if (gone_here || expired) orphans.push_back(std::move(e));
    }
    for (auto& e : orphans) {
      e.status = "Failed";
      e.failure_reason = fmt::format(
          "the runner stopped during the execution (process {} on {} {}); its outputs were not "
          "committed",
          e.runner_pid.value_or(0), e.runner_host,
          e.runner_host == host ? "is gone" : "let its lease expire");
      db_->prepare(
             "UPDATE executions SET status = 'Failed', failure_reason = ?, ended_at = ?, "
             "lease_until = NULL WHERE id = ? AND status = 'InProgress'")
          .bind(1, e.failure_reason)
          .bind(2, now)
          .bind(3, e.id)
          .run();
    }
    return orphans;
  });
}

std::vector<MetricRow> ScheduleStore::metrics_of(int64_t execution_id) {
  auto q = db_->prepare(
      "SELECT name, value, standard_deviation, threshold, comparison_operator FROM "
      "execution_metrics WHERE execution_id = ? ORDER BY rowid");
  q.bind(1, execution_id);
  std::vector<MetricRow> out;
  while (q.step()) {
    MetricRow m;
    m.name = q.text(0);
    m.value = q.real(1);
    m.standard_deviation = q.real(2);
    if (!q.is_null(3)) m.threshold = q.real(3);
    m.comparison_operator = q.text(4);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<ExecutionRow> ScheduleStore::list_executions(const ExecutionFilter& f) {
  auto q = db_->prepare(
      fmt::format("SELECT {} FROM executions WHERE (?1 = '' OR schedule_name = ?1) AND (?2 = '' "
                  "OR status = ?2) AND scheduled_time >= ?3 ORDER BY scheduled_time, id",
                  kExecutionColumns)
          .c_str());
  q.bind(1, f.schedule).bind(2, f.status).bind(3, f.since);
  std::vector<ExecutionRow> out;
  while (q.step()) out.push_back(execution_of(q));
  if (f.with_metrics)
    for (auto& e : out) e.metrics = metrics_of(e.id);
  return out;
}

ExecutionRow ScheduleStore::get_execution(int64_t id) {
  auto q = db_->prepare(
      fmt::format("SELECT {} FROM executions WHERE id = ?", kExecutionColumns).c_str());
  q.bind(1, id);
  if (!q.step()) throw ConfigError(fmt::format("there is no execution {}", id));
  ExecutionRow e = execution_of(q);
  e.metrics = metrics_of(id);
  return e;
}

std::optional<ExecutionRow> ScheduleStore::last_execution(const std::string& schedule) {
  auto q = db_->prepare(
      fmt::format("SELECT {} FROM executions WHERE schedule_name = ? ORDER BY scheduled_time "
                  "DESC, id DESC LIMIT 1",
                  kExecutionColumns)
          .c_str());
  q.bind(1, schedule);
  if (!q.step()) return std::nullopt;
  return execution_of(q);
}

}  // namespace mqmon
