#pragma once
/// The monitor job: one monitoring execution over a window, checked against constraints.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "mqmon/common/error.h"
#include "mqmon/constraints/check.h"
#include "mqmon/jobs/evaluate.h"
#include "mqmon/jobs/merge.h"

namespace mqmon {

struct MonitorConfig {
  /// Either a dataset (merged capture records or any dataset with both labels and predictions)...
  std::string dataset;
  /// ... or capture and ground-truth prefixes to merge for the window first.
  std::string capture_prefix, ground_truth_prefix;
  EvaluationSpec evaluation;
  /// When set, gives the window's statistics instead of reading `dataset` (merged partial
  /// results; `dataset` then only names them).
  std::function<Evaluation()> evaluate;
  std::string constraints_path;
  /// The window, milliseconds since the epoch; with a dataset both may be 0 (no window: the
  /// dataset is the window, and execution.json names it instead).
  int64_t start = 0, end = 0;
  int64_t execution_time = 0;  ///< labels collected up to here are merged
  int64_t max_lookback = 0;    ///< see MergeConfig
  std::string output_dir;
  std::string endpoint_name = "local";
  std::string monitoring_schedule_name = "mqmon";
  CheckOptions check;
  std::string evaluation_time;             ///< empty: now
  bool publish_cloudwatch_metrics = true;  ///< write cloudwatch_metrics.json
  /// With publish_cloudwatch_metrics: also leave the metrics here as the records a SageMaker
  /// Processing container writes for the service to publish (cloudwatch_metrics.jsonl).
  std::string cloudwatch_metrics_dir;
  int64_t metric_time = 0;  ///< the metric records' timestamp (0: now)
  /// Run once a completed execution's outputs are written; when it fails, the execution is
  /// Failed (execution.json says why) and the analysis outputs stay.
  std::string post_analytics_processor_script;
  /// When set, report.html joins the outputs: this renders it from statistics.json,
  /// constraint_violations.json and execution.json (the first two empty for a failed execution;
  /// execution.json carries the thresholds applied). The report layer sits above the jobs.
  std::function<std::string(const std::string& statistics, const std::string& violations,
                            const std::string& execution)>
      render_report;
};

/// A scalar metric of the window with the threshold it was checked against (when constrained).
struct MetricOutcome {
  std::string name;
  MetricValue value;
  std::optional<Constraint> constraint;
};

enum class ExecutionStatus { kCompleted, kCompletedWithViolations, kFailed };
const char* status_name(ExecutionStatus s);

struct MonitorResult {
  ExecutionStatus status = ExecutionStatus::kCompleted;
  ErrorKind failure = ErrorKind::kInternal;  ///< when kFailed: what failed (its exit code)
  std::string failure_reason;
  uint64_t item_count = 0;
  size_t violations = 0;
  std::optional<MergeCounts> merge;
  std::vector<MetricOutcome> metrics;  ///< every scalar metric, in statistics.json order
};

/// Runs one execution. Completed and CompletedWithViolations write statistics.json,
/// constraint_violations.json, execution.json and the metric records (cloudwatch_metrics.json,
/// metrics.prom) together; a failed execution writes only execution.json with its reason and
/// returns the kind of what failed. Thrown, with nothing written: a configuration that names no
/// execution (neither or both of dataset and capture, a window that ends before it starts), and
/// an output that cannot be written.
MonitorResult run_monitor(const MonitorConfig& config);

}  // namespace mqmon
