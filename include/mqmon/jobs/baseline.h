#pragma once
/// The baseline job (`suggest-baseline`): dataset -> statistics.json + constraints.json.

#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/constraints/suggest.h"
#include "mqmon/jobs/scan.h"
#include "mqmon/readers/batch.h"
#include "mqmon/readers/dataset_format.h"

namespace mqmon {

enum class ProblemType { kBinaryClassification, kMulticlassClassification, kRegression };
/// Accepts the service's spellings ("BinaryClassification", ...). Throws ConfigError.
ProblemType parse_problem_type(const std::string& text);

struct BaselineConfig {
  std::string dataset;  ///< file or directory
  DatasetFormat format;
  ProblemType problem_type = ProblemType::kBinaryClassification;
  AttributeSpec attributes;
  double probability_threshold = 0.5;
  std::string positive_label = "1";
  std::string negative_label;  ///< empty: the other label found in the data
  uint64_t seed = kDefaultSeed;
  size_t curve_points = 1000;  ///< 0: curves keep every threshold
  SuggestOptions suggest;
  std::string output_dir;
  ScanOptions scan;
  size_t block_size = 4u << 20;
  std::string evaluation_time;  ///< empty: now
};

struct BaselineResult {
  uint64_t item_count = 0;
  uint64_t skipped = 0;
  std::vector<std::string> skipped_examples;
  std::string statistics_path, constraints_path;
};

/// Runs the job; the two files appear together or not at all. Throws Error subclasses.
BaselineResult run_baseline(const BaselineConfig& config);

}  // namespace mqmon
