#pragma once
/// The baseline job (`suggest-baseline`): dataset -> statistics.json + constraints.json.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mqmon/constraints/suggest.h"
#include "mqmon/jobs/evaluate.h"

namespace mqmon {

struct BaselineConfig {
  std::string dataset;  ///< file or directory
  EvaluationSpec evaluation;
  /// When set, gives the statistics instead of reading `dataset` (merged partial results).
  std::function<Evaluation()> evaluate;
  SuggestOptions suggest;
  std::string output_dir;
  std::string evaluation_time;  ///< empty: now
  /// Run once the outputs are written (its postprocess_handler()); see run_post_analytics.
  std::string post_analytics_processor_script;
  /// When set, report.html joins the outputs, rendered from statistics.json and constraints.json
  /// (the report layer sits above the jobs).
  std::function<std::string(const std::string& statistics, const std::string& constraints)>
      render_report;
};

struct BaselineResult {
  uint64_t item_count = 0;
  uint64_t skipped = 0;
  uint64_t dropped = 0;  ///< records the record_preprocessor_script dropped
  std::vector<std::string> skipped_examples;
  std::string statistics_path, constraints_path;
};

/// Runs the job; the two files appear together or not at all. Throws Error subclasses.
BaselineResult run_baseline(const BaselineConfig& config);

}  // namespace mqmon
