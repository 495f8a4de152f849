// nlohmann/json's third translation unit: job definitions and execution results as JSON.
#include "mqmon/schedule/definition.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/constraints/check.h"
#include "mqmon/io/byte_source.h"
#include "mqmon/readers/row_builder.h"
#include "mqmon/schedule/expression.h"

namespace mqmon {

using json = nlohmann::json;

namespace {

std::string join_path(const std::string& base, const std::string& rest) {
  if (base.empty()) return rest;
  return base.back() == '/' ? base + rest : base + "/" + rest;
}

/// NaN-safe numbers for JSON (NaN is null).
json number(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
double number_of(const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); }

EvaluationSpec evaluation_spec_of(const JobDefinition& d) {
  EvaluationSpec s;
  s.format.kind = FormatKind::kCaptureJson;
  s.problem_type = parse_problem_type(d.problem_type);
  s.attributes.ground_truth = d.ground_truth_attribute;
  s.attributes.inference = d.inference_attribute;
  s.attributes.probability = d.probability_attribute;
  s.attributes.label_type = parse_label_type(d.label_type);
  s.attributes.class_labels = d.class_labels;
  s.attributes.unbounded_scores = d.unbounded_scores;
  s.probability_threshold = d.probability_threshold;
  s.positive_label = d.positive_label;
  s.negative_label = d.negative_label;
  s.scan.max_bad_rows = BadRowLimit::parse(d.max_bad_rows);
  s.record_preprocessor_script = d.record_preprocessor_script;
  return s;
}

}  // namespace

void JobDefinition::validate() const {
  if (capture.empty() || ground_truth.empty())
    throw ConfigError("a schedule needs --capture and --ground-truth prefixes");
  if (constraints.empty()) throw ConfigError("a schedule needs --constraints");
  if (output.empty()) throw ConfigError("a schedule needs --output");
  const EvaluationSpec spec = evaluation_spec_of(*this);
  reader_attributes(spec);  // the attributes fit the problem type, as monitor checks them
  const int64_t start = parse_duration(start_time_offset), end = parse_duration(end_time_offset);
  if (end <= start)
    throw ConfigError(fmt::format("--start-time-offset {} must come before --end-time-offset {}",
                                  start_time_offset, end_time_offset));
  if (!max_lookback.empty()) parse_duration(max_lookback);
  if (max_runtime_in_seconds <= 0)
    throw ConfigError(
        fmt::format("--max-runtime-in-seconds must be positive, not {}", max_runtime_in_seconds));
  for (const std::string* script : {&record_preprocessor_script, &post_analytics_processor_script})
    if (!script->empty() && !file_exists(*script))
      throw ConfigError(fmt::format("the script '{}' does not exist", *script));
  read_constraints(constraints, spec.problem_type);
}

void JobDefinition::validate_for(const std::string& schedule_expression) const {
  const ScheduleExpression e = parse_schedule_expression(schedule_expression);
  if (e.kind == ScheduleExpression::Kind::kNow)
    check_data_analysis_window(data_analysis_start_time, data_analysis_end_time);
  else if (!data_analysis_start_time.empty() || !data_analysis_end_time.empty())
    throw ConfigError(
        "--data-analysis-start-time and --data-analysis-end-time apply to NOW schedules only");
  validate();
}

void JobDefinition::make_paths_absolute() {
  for (std::string* p : {&capture, &ground_truth, &constraints, &output,
                         &record_preprocessor_script, &post_analytics_processor_script}) {
    if (p->empty() || p->rfind("s3://", 0) == 0 || p->rfind("S3://", 0) == 0) continue;
    const bool folder = p->back() == '/';
    *p = std::filesystem::absolute(*p).lexically_normal().string();
    if (folder && p->back() != '/') *p += '/';
  }
}

std::pair<int64_t, int64_t> JobDefinition::window(int64_t scheduled, bool now_schedule) const {
  if (now_schedule)
    return {scheduled + parse_duration(data_analysis_start_time),
            scheduled + parse_duration(data_analysis_end_time)};
  return {scheduled + parse_duration(start_time_offset),
          scheduled + parse_duration(end_time_offset)};
}

std::string JobDefinition::output_folder(const std::string& schedule_name,
                                         int64_t scheduled) const {
  const std::time_t seconds = static_cast<std::time_t>(scheduled / 1000);
  std::tm t{};
  gmtime_r(&seconds, &t);
  return join_path(output,
                   fmt::format("{}/{}/{:04}/{:02}/{:02}/{:02}/", endpoint_name, schedule_name,
                               t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour));
}

MonitorConfig JobDefinition::monitor_config(const std::string& schedule_name, int64_t scheduled,
                                            int64_t execution_time, bool now_schedule) const {
  MonitorConfig c;
  c.capture_prefix = capture;
  c.ground_truth_prefix = ground_truth;
  c.constraints_path = constraints;
  c.evaluation = evaluation_spec_of(*this);
  std::tie(c.start, c.end) = window(scheduled, now_schedule);
  c.execution_time = execution_time;
  c.max_lookback = max_lookback.empty() ? 0 : std::abs(parse_duration(max_lookback));
  c.output_dir = output_folder(schedule_name, scheduled);
  c.endpoint_name = endpoint_name;
  c.monitoring_schedule_name = schedule_name;
  c.check.report_undefined = !ignore_undefined_metrics;
  c.publish_cloudwatch_metrics = enable_cloudwatch_metrics;
  c.post_analytics_processor_script = post_analytics_processor_script;
  return c;
}

std::string to_json(const JobDefinition& d) {
  const json j = {{"capture", d.capture},
                  {"ground_truth", d.ground_truth},
                  {"constraints", d.constraints},
                  {"output", d.output},
                  {"endpoint_name", d.endpoint_name},
                  {"problem_type", d.problem_type},
                  {"ground_truth_attribute", d.ground_truth_attribute},
                  {"inference_attribute", d.inference_attribute},
                  {"probability_attribute", d.probability_attribute},
                  {"probability_threshold_attribute", d.probability_threshold},
                  {"positive_label", d.positive_label},
                  {"negative_label", d.negative_label},
                  {"label_type", d.label_type},
                  {"class_labels", d.class_labels},
                  {"unbounded_scores", d.unbounded_scores},
                  {"max_bad_rows", d.max_bad_rows},
                  {"start_time_offset", d.start_time_offset},
                  {"end_time_offset", d.end_time_offset},
                  {"data_analysis_start_time", d.data_analysis_start_time},
                  {"data_analysis_end_time", d.data_analysis_end_time},
                  {"max_lookback", d.max_lookback},
                  {"max_runtime_in_seconds", d.max_runtime_in_seconds},
                  {"enable_cloudwatch_metrics", d.enable_cloudwatch_metrics},
                  {"ignore_undefined_metrics", d.ignore_undefined_metrics},
                  {"record_preprocessor_script", d.record_preprocessor_script},
                  {"post_analytics_processor_script", d.post_analytics_processor_script}};
  return j.dump();
}

JobDefinition job_definition_from_json(const std::string& text) {
  JobDefinition d;
  try {
    const json j = json::parse(text);
    auto get = [&](const char* key, auto& out) {
      if (j.contains(key)) j.at(key).get_to(out);
    };
    get("capture", d.capture);
    get("ground_truth", d.ground_truth);
    get("constraints", d.constraints);
    get("output", d.output);
    get("endpoint_name", d.endpoint_name);
    get("problem_type", d.problem_type);
    get("ground_truth_attribute", d.ground_truth_attribute);
    get("inference_attribute", d.inference_attribute);
    get("probability_attribute", d.probability_attribute);
    get("probability_threshold_attribute", d.probability_threshold);
    get("positive_label", d.positive_label);
    get("negative_label", d.negative_label);
    get("label_type", d.label_type);
    get("class_labels", d.class_labels);
    get("unbounded_scores", d.unbounded_scores);
    get("max_bad_rows", d.max_bad_rows);
    get("start_time_offset", d.start_time_offset);
    get("end_time_offset", d.end_time_offset);
    get("data_analysis_start_time", d.data_analysis_start_time);
    get("data_analysis_end_time", d.data_analysis_end_time);
    get("max_lookback", d.max_lookback);
    get("max_runtime_in_seconds", d.max_runtime_in_seconds);
    get("enable_cloudwatch_metrics", d.enable_cloudwatch_metrics);
    get("ignore_undefined_metrics", d.ignore_undefined_metrics);
    get("record_preprocessor_script", d.record_preprocessor_script);
    get("post_analytics_processor_script", d.post_analytics_processor_script);
  } catch (const json::exception& e) {
    throw ConfigError(fmt::format("a stored job definition cannot be read: {}", e.what()));
  }
  return d;
}

std::string to_json(const MonitorResult& r) {
  json metrics = json::array();
  for (const auto& m : r.metrics) {
    json o = {{"name", m.name},
              {"value", number(m.value.value)},
              {"standard_deviation", number(m.value.standard_deviation)}};
    if (m.constraint) {
      o["threshold"] = number(m.constraint->threshold);
      o["comparison_operator"] = operator_name(m.constraint->op);
    }
    metrics.push_back(std::move(o));
  }
  json j = {{"status", status_name(r.status)},    {"failure", static_cast<int>(r.failure)},
            {"failure_reason", r.failure_reason}, {"item_count", r.item_count},
            {"violations", r.violations},         {"metrics", std::move(metrics)}};
  if (r.merge) {
    const MergeCounts& m = *r.merge;
    j["merge"] = {m.capture_files,
                  m.ground_truth_files,
                  m.inferences,
                  m.outside_window,
                  m.labels,
                  m.matched,
                  m.unmatched_inferences,
                  m.labels_without_inference,
                  m.duplicate_labels,
                  m.conflicting_duplicates};
  }
  return j.dump();
}

MonitorResult monitor_result_from_json(const std::string& text) {
  MonitorResult r;
  const json j = json::parse(text);
  const std::string status = j.at("status");
  r.status = status == "Completed"                 ? ExecutionStatus::kCompleted
             : status == "CompletedWithViolations" ? ExecutionStatus::kCompletedWithViolations
                                                   : ExecutionStatus::kFailed;
  r.failure = static_cast<ErrorKind>(j.at("failure").get<int>());
  r.failure_reason = j.at("failure_reason");
  r.item_count = j.at("item_count");
  r.violations = j.at("violations");
  if (j.contains("merge")) {
    const auto& a = j.at("merge");
    MergeCounts m;
    uint64_t* fields[] = {&m.capture_files,
                          &m.ground_truth_files,
                          &m.inferences,
                          &m.outside_window,
                          &m.labels,
                          &m.matched,
                          &m.unmatched_inferences,
                          &m.labels_without_inference,
                          &m.duplicate_labels,
                          &m.conflicting_duplicates};
    for (size_t i = 0; i < std::size(fields); ++i) *fields[i] = a.at(i).get<uint64_t>();
    r.merge = m;
  }
  for (const auto& o : j.at("metrics")) {
    MetricOutcome m;
    m.name = o.at("name");
    m.value = {number_of(o.at("value")), number_of(o.at("standard_deviation"))};
    if (o.contains("threshold"))
      m.constraint =
          Constraint{m.name, number_of(o.at("threshold")),
                     parse_comparison_operator(o.at("comparison_operator"), "result"), "", 0};
    r.metrics.push_back(std::move(m));
  }
  return r;
}

}  // namespace mqmon
