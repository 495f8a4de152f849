#pragma once
/// Schedules, executions and metric histories as the service's API shows them (key names of
/// DescribeMonitoringSchedule, ListMonitoringExecutions and DescribeProcessingJob), plus mqmon's
/// own keys in snake_case (window_start, window_end, output, ...). The CLI prints these with
/// --json; the Python classes return them from describe().

#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/schedule/store.h"

namespace mqmon {

/// The metrics `executions list` shows for a problem type.
const std::vector<std::string>& headline_metrics(const std::string& problem_type);

/// DescribeMonitoringSchedule's shape; `now` decides NextScheduledTime.
std::string describe_schedule_json(ScheduleStore& store, const ScheduleRow& s, int64_t now);
/// One execution: ListMonitoringExecutions' summary keys, DescribeProcessingJob's keys and
/// mqmon's (window, output, rows, label coverage, violations, metrics).
std::string describe_execution_json(const ExecutionRow& e);
/// A JSON array of executions.
std::string executions_json(const std::vector<ExecutionRow>& executions);

/// One metric over a schedule's executions: scheduled time, status, value, standard deviation,
/// threshold, operator and whether it violated. Throws ConfigError for a metric no execution
/// has (naming the metrics they have).
struct HistoryPoint {
  int64_t scheduled_time = 0;
  std::string status;
  MetricRow metric;
  bool violation = false;
};
std::vector<HistoryPoint> metric_history(ScheduleStore& store, const std::string& schedule,
                                         const std::string& metric);
std::string history_json(const std::vector<HistoryPoint>& points);
std::string history_csv(const std::vector<HistoryPoint>& points);

}  // namespace mqmon
