#pragma once
/// Batch: the columns a reader extracts from one block of records, as a struct of arrays.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mqmon/readers/label_dict.h"

namespace mqmon {

/// Which attributes address the values a job needs (column names, indices or paths).
struct AttributeSpec {
  std::string ground_truth;  ///< required
  std::string inference;    ///< predicted label; empty when the prediction comes from a probability
  std::string probability;  ///< score; empty when there is none
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

/// The rows of one block. Row i has label ids actual[i] (and predicted[i] when an inference
/// attribute is read) into `labels`, score[i] when a probability is read, and its record ordinal
/// within the block in record[i] (bad rows that were skipped keep their ordinals).
struct Batch {
  LabelDict labels;
  std::vector<uint32_t> actual;
  std::vector<uint32_t> predicted;
  std::vector<double> score;
  std::vector<uint32_t> record;
  uint64_t records = 0;             ///< records in the block, skipped ones included
  uint64_t lines = 0;               ///< physical lines in the block
  std::optional<RowProblem> error;  ///< first fatal problem: parsing stopped there
  std::vector<RowProblem> skipped;  ///< bad rows skipped because the user allowed it

  size_t rows() const { return actual.size(); }
  void clear() {
    labels.clear();
    actual.clear();
    predicted.clear();
    score.clear();
    record.clear();
    records = lines = 0;
    error.reset();
    skipped.clear();
  }
};

}  // namespace mqmon
