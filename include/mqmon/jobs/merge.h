#pragma once
/// The merge job: captured inferences of a window joined with late-arriving ground truth.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "mqmon/output/json_writer.h"

namespace mqmon {

struct MergeConfig {
  std::string capture_prefix;       ///< `.../yyyy/mm/dd/hh/` folders of capture records
  std::string ground_truth_prefix;  ///< `.../yyyy/mm/dd/hh/` folders of ground-truth records
  int64_t start = 0, end = 0;       ///< the window [start, end), milliseconds since the epoch
  int64_t execution_time = 0;       ///< labels collected up to this time are used
  int64_t max_lookback = 0;  ///< > 0: labels collected before execution_time - this are not read
  /// For a record_preprocessor_script, which may split a request into predictions with ids of
  /// their own: inferences without a label are written too, and every label's id and
  /// groundTruthData.data go to this file (see read_label_file) for the rows' `inferenceId`s.
  std::string labels_path;
};

struct MergeCounts {
  uint64_t capture_files = 0, ground_truth_files = 0;
  uint64_t inferences = 0;            ///< capture records in the window
  uint64_t outside_window = 0;        ///< records in the window's hour folders, timed outside it
  uint64_t labels = 0;                ///< ground-truth records read
  uint64_t matched = 0;               ///< inferences that got a label
  uint64_t unmatched_inferences = 0;  ///< inferences without a label
  uint64_t labels_without_inference = 0;  ///< labels whose id no inference of the window has
  uint64_t duplicate_labels = 0;          ///< labels for an id that had one already
  uint64_t conflicting_duplicates = 0;    ///< ... with different data
  double label_coverage() const {
    return inferences ? static_cast<double>(matched) / static_cast<double>(inferences) : 0.0;
  }
};

/// Joins the window's capture records with their ground truth (a ground-truth eventId matches the
/// capture's inferenceId when it has one, else its eventId; of duplicate labels the one collected
/// last wins) and writes one merged record per matched inference to `output_path` as JSON Lines:
/// the capture record with a top-level "groundTruthData". Throws ParseError for a malformed
/// record (file, line, text), IoError for unreadable folders.
MergeCounts merge_window(const MergeConfig& config, const std::string& output_path);

/// The counts as the members of the current JSON object (merge_report.json, execution.json).
void write_merge_counts(JsonWriter& w, const MergeCounts& counts);

/// The labels MergeConfig::labels_path holds: id -> groundTruthData.data (as written).
std::unordered_map<std::string, std::string> read_label_file(const std::string& path);

}  // namespace mqmon
