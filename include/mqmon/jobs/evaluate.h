#pragma once
/// What the baseline and monitor jobs share: read a dataset and compute its statistics for a
/// problem type.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mqmon/jobs/scan.h"
#include "mqmon/metrics/any_statistics.h"
#include "mqmon/readers/batch.h"
#include "mqmon/readers/dataset_format.h"

namespace mqmon {

enum class ProblemType { kBinaryClassification, kMulticlassClassification, kRegression };
/// Accepts the service's spellings ("BinaryClassification", ...). Throws ConfigError.
ProblemType parse_problem_type(const std::string& text);
const char* problem_type_name(ProblemType p);

/// How to read and score a dataset.
struct EvaluationSpec {
  DatasetFormat format;
  ProblemType problem_type = ProblemType::kBinaryClassification;
  AttributeSpec attributes;
  double probability_threshold = 0.5;
  std::string positive_label = "1";
  std::string negative_label;  ///< empty: the other label found in the data
  uint64_t seed = kDefaultSeed;
  size_t curve_points = 1000;  ///< 0: curves keep every threshold
  ScanOptions scan;
  size_t block_size = 4u << 20;
  /// A record_preprocessor_script (local or s3://): records go through its preprocess_handler.
  std::string record_preprocessor_script;
  unsigned script_workers = 0;  ///< worker processes for the script (0: one per core)
  /// With a script over captured records: labels by id (MergeConfig::labels_path) for the rows
  /// that name their `inferenceId`.
  std::string capture_labels;
};

/// The attributes as the readers need them for the problem type. Throws ConfigError for
/// attributes the problem type cannot use (no prediction for regression, a probability there, ...).
AttributeSpec reader_attributes(const EvaluationSpec& spec);

struct Evaluation {
  AnyStatistics statistics;
  ScanResult scanned;

  uint64_t item_count() const;
  ProblemType problem_type() const;
  /// Every scalar metric in statistics.json order (the curves and matrices left out).
  std::vector<std::pair<std::string, MetricValue>> scalars() const;
};

/// Reads the dataset (a file or directory) and computes its statistics. Validates every option
/// before reading. Throws Error subclasses.
Evaluation evaluate_dataset(const std::string& dataset, const EvaluationSpec& spec);

/// The steps of evaluate_dataset, for shards and partial results: a serialized state read back,
/// and the merged state of some files (a dataset's, or a shard's byte ranges) that `list` gives
/// once the options and the script are checked.
std::unique_ptr<Accumulator> read_state(const EvaluationSpec& spec, const std::string& blob);
std::unique_ptr<Accumulator> scan_files(const std::function<std::vector<InputFile>()>& list,
                                        const EvaluationSpec& spec, ScanResult& scanned);

/// The statistics of a whole dataset's merged state. Throws NoDataError/DataError when it has no
/// usable row; those messages name `dataset` and say what `where` ("'d.csv' holds") holds.
Evaluation finalize_evaluation(const Accumulator& state, const EvaluationSpec& spec,
                               ScanResult scanned, const std::string& dataset,
                               const std::string& where);

/// Columns held in memory (the Python API's arrays). Labels are codes into vocabularies of label
/// text; numbers are read in place, never copied. Row i is record first_row + i: its subsample key
/// (a chunk of a larger table gives the rows the keys they have in the whole table).
struct MemoryColumns {
  size_t rows = 0;
  uint64_t first_row = 0;
  const int32_t* truth_codes = nullptr;
  std::vector<std::string> truth_vocab;
  const int32_t* predicted_codes = nullptr;
  std::vector<std::string> predicted_vocab;
  const double* probability = nullptr;
  const double* truth = nullptr;       ///< regression
  const double* prediction = nullptr;  ///< regression
};

/// The statistics of in-memory columns: the same numbers evaluate_dataset gives for the same rows
/// in a file. Errors name "<arrays>", the 1-based row and the attribute.
Evaluation evaluate_columns(const MemoryColumns& columns, const EvaluationSpec& spec);
/// The state evaluate_columns finalizes.
std::unique_ptr<Accumulator> columns_state(const MemoryColumns& columns,
                                           const EvaluationSpec& spec);

/// statistics.json for an evaluation.
std::string write_statistics(const Evaluation& evaluation, const std::string& evaluation_time);

}  // namespace mqmon
