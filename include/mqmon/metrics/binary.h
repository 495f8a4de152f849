#pragma once
/// Binary classification quality: confusion counts, exact AUC and curves, F-beta,
/// best-constant-classifier variants, each with five-subsample standard deviations.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/io/byte_source.h"
#include "mqmon/metrics/accumulator.h"
#include "mqmon/metrics/score_table.h"
#include "mqmon/metrics/subsample.h"

namespace mqmon {

struct BinaryOptions {
  std::string positive_label = "1";  ///< canonicalized by the accumulator
  std::string negative_label;        ///< empty: the one other label found in the data
  bool has_inference = false;        ///< predicted labels are read; else from score >= threshold
  bool has_probability = false;      ///< scores are read; else the prediction is the score
  double threshold = 0.5;
  uint64_t seed = kDefaultSeed;
};

/// Cells of a binary confusion matrix relative to the positive label.
struct ConfusionCounts {
  uint64_t tn = 0, fp = 0, fn = 0, tp = 0;
  uint64_t total() const { return tn + fp + fn + tp; }
};

/// The scalar metrics in statistics.json order.
enum BinaryScalar {
  kRecall,
  kPrecision,
  kAccuracy,
  kRecallBcc,
  kPrecisionBcc,
  kAccuracyBcc,
  kTruePositiveRate,
  kTrueNegativeRate,
  kFalsePositiveRate,
  kFalseNegativeRate,
  kAuc,
  kF0_5,
  kF1,
  kF2,
  kF0_5Bcc,
  kF1Bcc,
  kF2Bcc,
  kBinaryScalarCount
};
extern const std::array<const char*, kBinaryScalarCount> kBinaryScalarNames;

/// Every scalar from a confusion matrix and an AUC (zero denominators give 0.0).
std::array<double, kBinaryScalarCount> binary_scalars(const ConfusionCounts& c, double auc);

struct BinaryStatistics {
  uint64_t item_count = 0;
  std::vector<std::string> labels;               ///< confusion matrix keys, sorted
  std::vector<std::vector<uint64_t>> confusion;  ///< [actual][predicted]
  std::array<MetricValue, kBinaryScalarCount> metrics{};
  std::vector<double> roc_false_positive_rates, roc_true_positive_rates;
  std::vector<double> pr_precisions, pr_recalls;
  ConfusionCounts counts;  ///< all rows, for constraint suggestion
  /// DeLong's variance components of the AUC (for its threshold): the population variances of
  /// each positive's share of negatives scored below it and of each negative's share of positives
  /// scored above it (ties count half). 0 without an AUC.
  double auc_placement_variance_positives = 0, auc_placement_variance_negatives = 0;
  /// Their third and fourth central moments: the skew of the AUC and how well a baseline knows
  /// its variance.
  double auc_placement_third_moment_positives = 0, auc_placement_third_moment_negatives = 0;
  double auc_placement_fourth_moment_positives = 0, auc_placement_fourth_moment_negatives = 0;
};

__extension__ typedef unsigned __int128 uint128;

/// Exact AUC of every column (0: all rows, k+1: replicate k), fed score by score from the
/// highest down. NaN for a column with one class.
class AucSweep {
 public:
  void add(const ScoreTable::Counts& positives, const ScoreTable::Counts& negatives);
  /// add() for a score one row carries: positive or not, in the replicates of `replicate_mask`.
  void add_one(bool positive, unsigned replicate_mask) {
    if (positive) {
      ++pos_above_[0];
      for (int c = 0; c < kReplicates; ++c) pos_above_[c + 1] += (replicate_mask >> c) & 1u;
    } else {
      numerator_[0] += 2 * static_cast<uint128>(pos_above_[0]);
      ++neg_total_[0];
      for (int c = 0; c < kReplicates; ++c) {
        const uint64_t in = (replicate_mask >> c) & 1u;
        numerator_[c + 1] += 2 * static_cast<uint128>(pos_above_[c + 1] * in);
        neg_total_[c + 1] += in;
      }
    }
  }
  double auc(int column) const;
  /// For a sweep over a range of scores below others: `positives_above` of each column are the
  /// rows above the range. Sweeps of consecutive ranges started so add up with `combine`.
  void start_below(const ScoreTable::Counts& positives_above);
  void combine(const AucSweep& next_range);

 private:
  std::array<uint128, kReplicates + 1> numerator_{};
  std::array<uint64_t, kReplicates + 1> pos_above_{}, neg_total_{};
};

/// Which attributes labels came from, to name them in errors.
struct LabelSources {
  AttributeSpec attributes;
};

class BinaryAccumulator final : public Accumulator {
 public:
  explicit BinaryAccumulator(BinaryOptions options);

  void update(const Batch& batch, const BatchOrigin& origin) override;
  void merge(const Accumulator& other) override;
  void absorb(std::unique_ptr<Accumulator> other) override;
  void finish_updates() override { scores_.finish_updates(); }
  std::string serialize() const override;
  static BinaryAccumulator deserialize(const std::string& blob);

  /// Statistics with curves thinned to at most `curve_points` thresholds (0: no thinning).
  /// Throws DataError for an empty dataset and ParseError naming a third label.
  BinaryStatistics finalize(size_t curve_points, const LabelSources& sources) const;

  const BinaryOptions& options() const { return options_; }
  uint64_t rows() const { return counts_[0].total(); }

 private:
  /// The other state's counts and labels, after checking it is compatible; not its scores.
  const BinaryAccumulator& merge_counts(const Accumulator& other);

  BinaryOptions options_;
  ConfusionCounts counts_[kReplicates + 1];  // [0]: all rows; [k+1]: replicate k
  ScoreTable scores_;
  LabelOccurrences labels_;
};

}  // namespace mqmon
