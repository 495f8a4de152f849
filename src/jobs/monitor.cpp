#include "mqmon/jobs/monitor.h"

#include <fmt/format.h>

#include <filesystem>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/io/temp_dir.h"
#include "mqmon/output/json_writer.h"
#include "mqmon/output/metric_records.h"
#include "mqmon/output/statistics_writer.h"
#include "mqmon/script/pool.h"

namespace mqmon {

namespace fs = std::filesystem;

const char* status_name(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kCompleted:
      return "Completed";
    case ExecutionStatus::kCompletedWithViolations:
      return "CompletedWithViolations";
    case ExecutionStatus::kFailed:
      return "Failed";
  }
  return "?";
}

namespace {

/// The execution's record. `applied`: the thresholds the window was checked against (the
/// constraints file's, or recomputed at the window's size), so that a history shows them.
std::string execution_json(const MonitorConfig& c, const MonitorResult& r,
                           const std::string& evaluation_time,
                           const std::vector<Constraint>& applied) {
  JsonWriter w;
  w.begin_object();
  w.key("status").value(status_name(r.status));
  if (r.status == ExecutionStatus::kFailed) w.key("failure_reason").value(r.failure_reason);
  w.key("evaluation_time").value(evaluation_time);
  if (c.start != 0 || c.end != 0) {
    w.key("start_time").value(format_timestamp(c.start));
    w.key("end_time").value(format_timestamp(c.end));
  }
  w.key("execution_time").value(format_timestamp(c.execution_time));
  w.key("problem_type").value(problem_type_name(c.evaluation.problem_type));
  w.key("constraints").value(c.constraints_path);
  if (!c.dataset.empty()) w.key("dataset").value(c.dataset);
  if (r.merge) {
    w.key("merge").begin_object();
    write_merge_counts(w, *r.merge);
    w.end_object();
  }
  if (r.status != ExecutionStatus::kFailed) {
    w.key("item_count").value(r.item_count);
    w.key("violation_count").value(static_cast<uint64_t>(r.violations));
  }
  if (!applied.empty()) {
    w.key("thresholds").begin_object();
    for (const auto& t : applied) {
      w.key(t.metric).begin_object();
      w.key("threshold").value(t.threshold);
      w.key("comparison_operator").value(operator_name(t.op));
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
  return w.finish();
}

}  // namespace

MonitorResult run_monitor(const MonitorConfig& config) {
  if (config.dataset.empty() == config.capture_prefix.empty())
    throw ConfigError("give either a dataset or --capture with --ground-truth");
  if (!config.capture_prefix.empty() && config.ground_truth_prefix.empty())
    throw ConfigError("--capture needs --ground-truth");
  const bool windowed = !config.capture_prefix.empty() || config.start != 0 || config.end != 0;
  if (windowed && config.end <= config.start)
    throw ConfigError("the window's end must come after its start");
  const std::string evaluation_time =
      config.evaluation_time.empty() ? utc_now_iso8601() : config.evaluation_time;

  MonitorResult r;
  AtomicOutputSet out(config.output_dir);
  std::optional<AtomicOutputSet> cloudwatch;
  std::vector<Constraint> applied;  // the thresholds the window is checked against
  std::string statistics, violations_text;
  auto fail = [&](ErrorKind kind, std::string reason) {
    r.status = ExecutionStatus::kFailed;
    r.failure = kind;
    r.failure_reason = std::move(reason);
    const std::string execution = execution_json(config, r, evaluation_time, applied);
    out.add("execution.json", execution);
    if (config.render_report) out.add("report.html", config.render_report({}, {}, execution));
    out.commit();
    return r;
  };
  try {
    const ConstraintSet constraints =
        read_constraints(config.constraints_path, config.evaluation.problem_type);
    std::optional<TempDir> scratch;
    std::string dataset = config.dataset;
    EvaluationSpec spec = config.evaluation;
    if (!config.capture_prefix.empty()) {
      scratch.emplace("mqmon-merge");
      MergeConfig m;
      m.capture_prefix = config.capture_prefix;
      m.ground_truth_prefix = config.ground_truth_prefix;
      m.start = config.start;
      m.end = config.end;
      m.execution_time = config.execution_time;
      m.max_lookback = config.max_lookback;
      dataset = (fs::path(scratch->path()) / "merged.jsonl").string();
      const bool script = !spec.record_preprocessor_script.empty();
      if (script) {  // the script's rows may carry the ids their labels are filed under
        m.labels_path = (fs::path(scratch->path()) / "labels").string();
        spec.capture_labels = m.labels_path;
      }
      r.merge = merge_window(m, dataset);
      if (r.merge->inferences == 0)
        return fail(ErrorKind::kNoData,
                    fmt::format("no captured inferences in the window {} to {} under '{}'",
                                format_timestamp(config.start), format_timestamp(config.end),
                                config.capture_prefix));
      if (r.merge->matched == 0 && !script)
        return fail(
            ErrorKind::kNoData,
            fmt::format(
                "nothing merged: none of the window's {} inferences has ground truth under '{}' "
                "(collected up to {})",
                r.merge->inferences, config.ground_truth_prefix,
                format_timestamp(config.execution_time)));
      spec.format.kind = FormatKind::kCaptureJson;
    }
    const Evaluation ev = config.evaluate ? config.evaluate() : evaluate_dataset(dataset, spec);
    r.item_count = ev.item_count();
    applied = thresholds_for_window(constraints, r.item_count);
    const auto violations = check_constraints(applied, constraints.problem_type, ev, config.check);
    r.violations = violations.size();
    r.status = violations.empty() ? ExecutionStatus::kCompleted
                                  : ExecutionStatus::kCompletedWithViolations;

    const MetricRecordContext context{config.endpoint_name, config.monitoring_schedule_name,
                                      config.metric_time != 0 ? config.metric_time : now_millis()};
    const auto scalars = ev.scalars();
    statistics = write_statistics(ev, evaluation_time);
    violations_text = write_violations(violations);
    out.add("statistics.json", statistics);
    out.add("constraint_violations.json", violations_text);
    if (config.publish_cloudwatch_metrics)
      out.add("cloudwatch_metrics.json", write_emf(scalars, context));
    for (const auto& [name, value] : scalars) {
      MetricOutcome m{name, value, std::nullopt};
      for (const auto& c : applied)
        if (c.metric == name) m.constraint = c;
      r.metrics.push_back(std::move(m));
    }
    out.add("metrics.prom", write_prometheus(scalars, context));
    const std::string execution = execution_json(config, r, evaluation_time, applied);
    out.add("execution.json", execution);
    if (config.render_report)
      out.add("report.html", config.render_report(statistics, violations_text, execution));
    // The records for the service travel in their own folder, prepared with the outputs and
    // committed right after them.
    if (config.publish_cloudwatch_metrics && !config.cloudwatch_metrics_dir.empty()) {
      cloudwatch.emplace(config.cloudwatch_metrics_dir);
      cloudwatch->add("cloudwatch_metrics.jsonl", write_cloudwatch_records(scalars, context));
    }
    out.commit();
  } catch (const Error& e) {
    return fail(e.kind(), e.what());
  }
  // After the outputs: a failure fails the execution, and execution.json says so; the analysis
  // outputs stay.
  auto failed_after_outputs = [&](const Error& e) {
    r.status = ExecutionStatus::kFailed;
    r.failure = e.kind();
    r.failure_reason = e.what();
    AtomicOutputSet status(config.output_dir);
    const std::string execution = execution_json(config, r, evaluation_time, applied);
    status.add("execution.json", execution);
    if (config.render_report)
      status.add("report.html", config.render_report(statistics, violations_text, execution));
    status.commit();
  };
  if (cloudwatch) {
    try {
      cloudwatch->commit();
    } catch (const Error& e) {
      failed_after_outputs(e);
      return r;
    }
  }
  if (!config.post_analytics_processor_script.empty()) {
    try {
      run_postprocess_script(
          config.post_analytics_processor_script,
          {{"output_path", config.output_dir},
           {"dataset_source", config.dataset.empty() ? config.capture_prefix : config.dataset},
           {"problem_type", problem_type_name(config.evaluation.problem_type)},
           {"analysis_type", "MODEL_QUALITY"},
           {"start_time", windowed ? format_timestamp(config.start) : ""},
           {"end_time", windowed ? format_timestamp(config.end) : ""},
           {"sagemaker_endpoint_name", config.endpoint_name},
           {"sagemaker_monitoring_schedule_name", config.monitoring_schedule_name}});
    } catch (const Error& e) {
      failed_after_outputs(e);
    }
  }
  return r;
}

}  // namespace mqmon
