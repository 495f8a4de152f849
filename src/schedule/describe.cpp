#include "mqmon/schedule/describe.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/common/time.h"
#include "mqmon/output/json_writer.h"
#include "mqmon/schedule/expression.h"

namespace mqmon {

namespace {

/// The processing job's status for an execution status (DescribeProcessingJob's values).
const char* processing_job_status(const std::string& s) {
  if (s == "Pending" || s == "InProgress") return "InProgress";
  if (s == "Failed") return "Failed";
  if (s == "Stopped") return "Stopped";
  return "Completed";
}

void number_or_nan(JsonWriter& w, double v) {
  if (std::isnan(v))
    w.value("NaN");
  else
    w.value(v);
}

void write_execution(JsonWriter& w, const ExecutionRow& e) {
  w.begin_object();
  w.key("MonitoringScheduleName").value(e.schedule_name);
  w.key("ScheduledTime").value(format_timestamp(e.scheduled_time));
  w.key("CreationTime").value(format_timestamp(e.created_at));
  w.key("LastModifiedTime")
      .value(format_timestamp(e.ended_at.value_or(e.started_at.value_or(e.created_at))));
  w.key("MonitoringExecutionStatus").value(e.status);
  w.key("EndpointName").value(e.endpoint_name);
  w.key("ProcessingJobName").value(fmt::format("mqmon-execution-{}", e.id));
  w.key("ProcessingJobStatus").value(processing_job_status(e.status));
  if (e.ended_at) {
    w.key("ExitMessage")
        .value(e.status == "Failed" || e.status == "Stopped"
                   ? e.failure_reason
                   : fmt::format("{}: {} violation{}", e.status, e.violation_count.value_or(0),
                                 e.violation_count.value_or(0) == 1 ? "" : "s"));
  }
  if (!e.failure_reason.empty()) w.key("FailureReason").value(e.failure_reason);
  w.key("ProcessingOutputConfig").begin_object().key("Outputs").begin_array().begin_object();
  w.key("OutputName").value("monitoring_output");
  w.key("S3Output").begin_object();
  w.key("S3Uri").value(e.output);
  w.key("LocalPath").value("/opt/ml/processing/output");
  w.key("S3UploadMode").value("EndOfJob");
  w.end_object().end_object().end_array().end_object();
  if (e.started_at) w.key("ProcessingStartTime").value(format_timestamp(*e.started_at));
  if (e.ended_at) w.key("ProcessingEndTime").value(format_timestamp(*e.ended_at));
  // mqmon's own.
  w.key("execution_id").value(e.id);
  w.key("window_start").value(format_timestamp(e.window_start));
  w.key("window_end").value(format_timestamp(e.window_end));
  w.key("output").value(e.output);
  if (e.exit_code) w.key("exit_code").value(*e.exit_code);
  if (e.item_count) w.key("item_count").value(*e.item_count);
  if (e.label_coverage) w.key("label_coverage").value(*e.label_coverage);
  if (e.violation_count) w.key("violation_count").value(*e.violation_count);
  if (!e.metrics.empty()) {
    w.key("metrics").begin_object();
    for (const auto& m : e.metrics) {
      w.key(m.name).begin_object();
      w.key("value");
      number_or_nan(w, m.value);
      w.key("standard_deviation");
      number_or_nan(w, m.standard_deviation);
      if (m.threshold) {
        w.key("threshold").value(*m.threshold);
        w.key("comparison_operator").value(m.comparison_operator);
      }
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
}

/// Whether `value` violates `op threshold` (a violation is the comparison holding; an undefined
/// value is one too).
bool violates(double value, double threshold, const std::string& op) {
  if (std::isnan(value)) return true;
  if (op == "LessThanThreshold") return value < threshold;
  if (op == "LessThanOrEqualToThreshold") return value <= threshold;
  if (op == "GreaterThanThreshold") return value > threshold;
  if (op == "GreaterThanOrEqualToThreshold") return value >= threshold;
  return false;
}

}  // namespace

const std::vector<std::string>& headline_metrics(const std::string& problem_type) {
  static const std::vector<std::string> binary = {"accuracy", "precision", "recall", "f1", "auc"},
                                        multiclass = {"accuracy", "weighted_precision",
                                                      "weighted_recall", "weighted_f1"},
                                        regression = {"mae", "rmse", "r2"};
  return problem_type == "Regression"                 ? regression
         : problem_type == "MulticlassClassification" ? multiclass
                                                      : binary;
}

std::string describe_schedule_json(ScheduleStore& store, const ScheduleRow& s, int64_t now) {
  const JobDefinition& d = s.definition;
  JsonWriter w;
  w.begin_object();
  w.key("MonitoringScheduleName").value(s.name);
  w.key("MonitoringScheduleStatus").value(s.status);
  w.key("MonitoringType").value("ModelQuality");
  w.key("CreationTime").value(format_timestamp(s.created_at));
  w.key("LastModifiedTime").value(format_timestamp(s.updated_at));
  w.key("EndpointName").value(d.endpoint_name);
  w.key("MonitoringScheduleConfig").begin_object();
  w.key("ScheduleConfig").begin_object().key("ScheduleExpression").value(s.expression);
  if (!d.data_analysis_start_time.empty()) {
    w.key("DataAnalysisStartTime").value(d.data_analysis_start_time);
    w.key("DataAnalysisEndTime").value(d.data_analysis_end_time);
  }
  w.end_object();
  w.key("MonitoringJobDefinition").begin_object();
  w.key("ModelQualityAppSpecification").begin_object();
  w.key("ProblemType").value(d.problem_type);
  w.key("Environment")
      .begin_object()
      .key("publish_cloudwatch_metrics")
      .value(d.enable_cloudwatch_metrics ? "Enabled" : "Disabled")
      .end_object();
  w.end_object();
  w.key("ModelQualityBaselineConfig")
      .begin_object()
      .key("ConstraintsResource")
      .begin_object()
      .key("S3Uri")
      .value(d.constraints)
      .end_object()
      .end_object();
  w.key("ModelQualityJobInput").begin_object();
  w.key("EndpointInput").begin_object();
  w.key("EndpointName").value(d.endpoint_name);
  if (!d.inference_attribute.empty()) w.key("InferenceAttribute").value(d.inference_attribute);
  if (!d.probability_attribute.empty())
    w.key("ProbabilityAttribute").value(d.probability_attribute);
  w.key("ProbabilityThresholdAttribute").value(d.probability_threshold);
  w.key("StartTimeOffset").value(d.start_time_offset);
  w.key("EndTimeOffset").value(d.end_time_offset);
  w.end_object();
  w.key("GroundTruthS3Input").begin_object().key("S3Uri").value(d.ground_truth).end_object();
  w.end_object();
  w.key("ModelQualityJobOutputConfig")
      .begin_object()
      .key("MonitoringOutputs")
      .begin_array()
      .begin_object()
      .key("S3Output")
      .begin_object()
      .key("S3Uri")
      .value(d.output)
      .end_object()
      .end_object()
      .end_array()
      .end_object();
  w.key("StoppingCondition")
      .begin_object()
      .key("MaxRuntimeInSeconds")
      .value(d.max_runtime_in_seconds)
      .end_object();
  w.end_object();  // MonitoringJobDefinition
  w.end_object();  // MonitoringScheduleConfig
  if (const auto last = store.last_execution(s.name)) {
    w.key("LastMonitoringExecutionSummary").begin_object();
    w.key("MonitoringScheduleName").value(s.name);
    w.key("ScheduledTime").value(format_timestamp(last->scheduled_time));
    w.key("CreationTime").value(format_timestamp(last->created_at));
    w.key("LastModifiedTime")
        .value(
            format_timestamp(last->ended_at.value_or(last->started_at.value_or(last->created_at))));
    w.key("MonitoringExecutionStatus").value(last->status);
    w.key("EndpointName").value(last->endpoint_name);
    if (!last->failure_reason.empty()) w.key("FailureReason").value(last->failure_reason);
    w.end_object();
  }
  // mqmon's own.
  w.key("capture").value(d.capture);
  w.key("output").value(d.output);
  const auto e = parse_schedule_expression(s.expression);
  const int64_t next =
      s.status == "Scheduled" ? next_due_time(e, std::max(now, s.cursor)) : int64_t{-1};
  if (next >= 0) w.key("next_scheduled_time").value(format_timestamp(next));
  w.key("definition").value(to_json(d));
  w.end_object();
  return w.finish();
}

std::string describe_execution_json(const ExecutionRow& e) {
  JsonWriter w;
  write_execution(w, e);
  return w.finish();
}

std::string executions_json(const std::vector<ExecutionRow>& executions) {
  JsonWriter w;
  w.begin_array();
  for (const auto& e : executions) write_execution(w, e);
  w.end_array();
  return w.finish();
}

std::vector<HistoryPoint> metric_history(ScheduleStore& store, const std::string& schedule,
                                         const std::string& metric) {
  ExecutionFilter f;
  f.schedule = schedule;
  f.with_metrics = true;
  std::vector<HistoryPoint> points;
  std::set<std::string> names;
  for (const auto& e : store.list_executions(f)) {
    for (const auto& m : e.metrics) {
      names.insert(m.name);
      if (m.name != metric) continue;
      HistoryPoint p{e.scheduled_time, e.status, m, false};
      if (m.threshold) p.violation = violates(m.value, *m.threshold, m.comparison_operator);
      points.push_back(std::move(p));
    }
  }
  if (points.empty() && !names.empty()) {
    const std::vector<std::string> known(names.begin(), names.end());
    throw ConfigError(fmt::format("no execution of '{}' has the metric '{}'{}; they have: {}",
                                  schedule, metric, did_you_mean(metric, known),
                                  fmt::join(known, ", ")));
  }
  return points;
}

std::string history_json(const std::vector<HistoryPoint>& points) {
  JsonWriter w;
  w.begin_array();
  for (const auto& p : points) {
    w.begin_object();
    w.key("ScheduledTime").value(format_timestamp(p.scheduled_time));
    w.key("MonitoringExecutionStatus").value(p.status);
    w.key("metric").value(p.metric.name);
    w.key("value");
    number_or_nan(w, p.metric.value);
    w.key("standard_deviation");
    number_or_nan(w, p.metric.standard_deviation);
    if (p.metric.threshold) {
      w.key("threshold").value(*p.metric.threshold);
      w.key("comparison_operator").value(p.metric.comparison_operator);
    }
    w.key("violation").value(p.violation);
    w.end_object();
  }
  w.end_array();
  return w.finish();
}

std::string history_csv(const std::vector<HistoryPoint>& points) {
  std::string out =
      "scheduled_time,status,metric,value,standard_deviation,threshold,comparison_operator,"
      "violation\n";
  auto num = [](double v) { return std::isnan(v) ? std::string("NaN") : format_plain_double(v); };
  for (const auto& p : points)
    out += fmt::format("{},{},{},{},{},{},{},{}\n", format_timestamp(p.scheduled_time), p.status,
                       p.metric.name, num(p.metric.value), num(p.metric.standard_deviation),
                       p.metric.threshold ? num(*p.metric.threshold) : "",
                       p.metric.comparison_operator, p.violation ? "true" : "false");
  return out;
}

}  // namespace mqmon
