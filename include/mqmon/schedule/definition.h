#pragma once
/// A monitoring schedule's job definition: what `mqmon monitor` needs to run one execution, less
/// the window and the output folder, which every scheduled time gives anew. Kept in the store as
/// JSON; the service's CreateModelQualityJobDefinition holds the same facts.

#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/jobs/monitor.h"

namespace mqmon {

struct JobDefinition {
  std::string capture, ground_truth, constraints;
  std::string output;  ///< prefix: executions write OUTPUT/endpoint/schedule/yyyy/mm/dd/hh/
  std::string endpoint_name = "local";
  std::string problem_type;
  std::string ground_truth_attribute, inference_attribute, probability_attribute;
  double probability_threshold = 0.5;
  std::string positive_label = "1", negative_label;
  std::string label_type = "auto";
  std::vector<std::string> class_labels;
  bool unbounded_scores = false;
  std::string max_bad_rows = "0";
  std::string start_time_offset = "-PT1H", end_time_offset = "-PT0H";
  /// NOW schedules: the window relative to the run's time.
  std::string data_analysis_start_time, data_analysis_end_time;
  std::string max_lookback;  ///< empty: no limit
  int64_t max_runtime_in_seconds = 3600;
  bool enable_cloudwatch_metrics = true;
  bool ignore_undefined_metrics = false;
  std::string record_preprocessor_script, post_analytics_processor_script;

  /// Checks what can be checked before any execution: the offsets, the problem type, the
  /// attributes, the format, and that the constraints file can be read and fits the problem
  /// type. Throws ConfigError or IoError.
  void validate() const;

  /// validate(), and the expression with it: a NOW schedule needs its data analysis window,
  /// others must not have one.
  void validate_for(const std::string& schedule_expression) const;

  /// Local paths made absolute (the scheduler may run from another folder).
  void make_paths_absolute();

  /// The window of the execution due at `scheduled` (NOW: the data analysis offsets).
  std::pair<int64_t, int64_t> window(int64_t scheduled, bool now_schedule) const;

  /// The folder of that execution's outputs.
  std::string output_folder(const std::string& schedule_name, int64_t scheduled) const;

  /// `mqmon monitor`'s configuration for the execution due at `scheduled`.
  MonitorConfig monitor_config(const std::string& schedule_name, int64_t scheduled,
                               int64_t execution_time, bool now_schedule) const;
};

std::string to_json(const JobDefinition& d);
/// Throws ConfigError for a definition this mqmon cannot read.
JobDefinition job_definition_from_json(const std::string& text);

/// A MonitorResult as JSON, to carry it from the execution's process to the scheduler.
std::string to_json(const MonitorResult& r);
MonitorResult monitor_result_from_json(const std::string& text);

}  // namespace mqmon
