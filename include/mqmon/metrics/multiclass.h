#pragma once
/// Multiclass classification quality: a confusion matrix over any number of classes,
/// accuracy and support-weighted recall, precision and F-beta, best-constant-classifier variants,
/// with five-subsample standard deviations.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "mqmon/metrics/accumulator.h"

namespace mqmon {

enum MulticlassScalar {
  kMcAccuracy,
  kWeightedRecall,
  kWeightedPrecision,
  kWeightedF0_5,
  kWeightedF1,
  kWeightedF2,
  kMcAccuracyBcc,
  kWeightedRecallBcc,
  kWeightedPrecisionBcc,
  kWeightedF0_5Bcc,
  kWeightedF1Bcc,
  kWeightedF2Bcc,
  kMulticlassScalarCount
};
extern const std::array<const char*, kMulticlassScalarCount> kMulticlassScalarNames;

/// A sparse confusion matrix: (actual, predicted) class indices -> count.
using SparseConfusion = std::map<std::pair<uint32_t, uint32_t>, uint64_t>;

/// Every scalar from a confusion matrix over `classes` classes (indices in sorted label order).
/// Weighted metrics weigh each class by its actual count (scikit-learn's average='weighted');
/// a class never predicted has precision 0; the best constant classifier always predicts the
/// most frequent actual class (ties: the first in sorted order).
std::array<double, kMulticlassScalarCount> multiclass_scalars(const SparseConfusion& cells,
                                                              size_t classes);

struct MulticlassStatistics {
  uint64_t item_count = 0;
  std::vector<std::string> labels;  ///< sorted: numbers by value, then strings
  SparseConfusion confusion;        ///< all rows, indices into labels
  std::array<MetricValue, kMulticlassScalarCount> metrics{};
};

class MulticlassAccumulator final : public Accumulator {
 public:
  explicit MulticlassAccumulator(uint64_t seed) : seed_(seed) {}
  void update(const Batch& batch, const BatchOrigin& origin) override;
  void merge(const Accumulator& other) override;
  std::string serialize() const override;
  static MulticlassAccumulator deserialize(const std::string& blob);
  /// Throws DataError for an empty dataset.
  MulticlassStatistics finalize() const;

 private:
  using Counts = std::array<uint64_t, kReplicates + 1>;  // [0]: all rows; [k+1]: replicate k
  uint32_t class_id(const std::string& label);
  void add_cell(uint32_t actual, uint32_t predicted, const Counts& counts);

  uint64_t seed_;
  std::vector<std::string> names_;  // class id -> label
  std::unordered_map<std::string, uint32_t> ids_;
  std::unordered_map<uint64_t, Counts> cells_;  // actual << 32 | predicted
};

}  // namespace mqmon
