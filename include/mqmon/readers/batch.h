#pragma once
/// Batch: the columns a reader extracts from one block of records, as a struct of arrays.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mqmon/readers/label_dict.h"

namespace mqmon {

/// How label text becomes a class (--label-type).
enum class LabelType {
  kAuto,    ///< numbers in canonical form ("1.0" = "1"), other text verbatim
  kString,  ///< text verbatim ("01" and "1" differ); JSON numbers in canonical form
  kNumber,  ///< every label must be a number, in canonical form
};

/// What a probability attribute feeds.
enum class ProbabilityUse {
  kScore,   ///< the score of the positive class (a number, or one entry of an array)
  kArgmax,  ///< multiclass: the predicted label is the class of the array's largest entry
};

/// Which attributes address the values a job needs (column names, indices or JSONPaths), and how
/// their values are read.
struct AttributeSpec {
  std::string ground_truth;  ///< required (capture data: optional, defaults to groundTruthData)
  std::string inference;    ///< predicted label; empty when the prediction comes from a probability
  std::string probability;  ///< score; empty when there is none
  bool numeric_targets = false;  ///< regression: ground truth and prediction are numbers
  LabelType label_type = LabelType::kAuto;
  ProbabilityUse probability_use = ProbabilityUse::kScore;
  /// kScore with an array of class probabilities: the entry holding the positive class's score.
  int probability_entry = -1;
  /// Names of the positions of a probability array (default "0", "1", ...).
  std::vector<std::string> class_labels;
  /// Probabilities may be any finite score (a logit, a margin); by default a value outside [0, 1]
  /// is a bad record, since it usually means the wrong column.
  bool unbounded_scores = false;
};

/// A bad record found while parsing, located relative to its block.
struct RowProblem {
  uint64_t record = 0;  ///< record ordinal within the block
  uint64_t line = 0;    ///< line offset within the block
  uint32_t column = 0;  ///< 1-based, 0 for the whole record
  std::string attribute;
  std::string reason;
  std::string text;
};

/// The rows of one block. For classification, row i has label ids actual[i] (and predicted[i]
/// when a predicted label is read or derived from probabilities) into `labels`; for regression
/// truth[i] and prediction[i]; score[i] when a probability score is read; and the byte offset of
/// its record within the block in record[i] (with sub[i], when a script turned one record into
/// several rows, the row's index among them).
struct Batch {
  LabelDict labels;
  std::vector<uint32_t> actual;
  std::vector<uint32_t> predicted;
  std::vector<double> truth;
  std::vector<double> prediction;
  std::vector<double> score;
  std::vector<uint32_t> record;
  std::vector<uint32_t> sub;
  uint64_t records = 0;             ///< records in the block, skipped ones included
  uint64_t dropped = 0;             ///< records a record_preprocessor_script dropped ([])
  uint64_t lines = 0;               ///< physical lines in the block
  std::optional<RowProblem> error;  ///< first fatal problem: parsing stopped there
  std::vector<RowProblem> skipped;  ///< bad rows skipped because the user allowed it

  /// Numeric columns owned by the caller instead of the vectors above (the Python API passes
  /// NumPy arrays without copying); with them, `external_rows` rows at positions 0..n-1.
  const double* external_score = nullptr;
  const double* external_truth = nullptr;
  const double* external_prediction = nullptr;
  size_t external_rows = 0;

  size_t rows() const { return external_rows ? external_rows : record.size(); }
  const double* score_data() const { return external_score ? external_score : score.data(); }
  const double* truth_data() const { return external_truth ? external_truth : truth.data(); }
  const double* prediction_data() const {
    return external_prediction ? external_prediction : prediction.data();
  }
  uint64_t record_of(size_t i) const { return record.empty() ? i : record[i]; }
  void clear() {
    labels.clear();
    actual.clear();
    predicted.clear();
    truth.clear();
    prediction.clear();
    score.clear();
    record.clear();
    sub.clear();
    external_score = external_truth = external_prediction = nullptr;
    external_rows = 0;
    records = lines = dropped = 0;
    error.reset();
    skipped.clear();
  }
};

}  // namespace mqmon
