#pragma once
/// Regression quality: mae, mse, rmse, r2, from exact sums, with five-subsample
/// standard deviations.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/common/exact_sum.h"
#include "mqmon/metrics/accumulator.h"

namespace mqmon {

enum RegressionScalar { kMae, kMse, kRmse, kR2, kRegressionScalarCount };
extern const std::array<const char*, kRegressionScalarCount> kRegressionScalarNames;

/// Exact sums over a set of rows (all rows, or one replicate).
struct RegressionSums {
  uint64_t n = 0;
  ExactSum abs_error, squared_error, truth, squared_truth;
  void merge(const RegressionSums& o);
  /// These sums less `o`'s (a subset of the same rows), exactly.
  RegressionSums minus(const RegressionSums& o) const;
  /// mae, mse, rmse, r2 (r2 as scikit-learn: 1.0 for perfect predictions of a constant truth,
  /// 0.0 for imperfect ones). NaN when n == 0.
  std::array<double, kRegressionScalarCount> metrics() const;
  /// Σ(y - ȳ)² / n, computed exactly before one rounding.
  double truth_variance() const;
};

struct RegressionStatistics {
  uint64_t item_count = 0;
  std::array<MetricValue, kRegressionScalarCount> metrics{};
  /// Moments of the errors and of the truth for constraint suggestion.
  double mean_abs_error = 0, mean_squared_error = 0, mean_fourth_power_error = 0;
  double truth_variance = 0;
  /// A uniform sample of at most kRegressionSampleRows rows (all of them in smaller datasets):
  /// their |prediction - truth| and truth, for the window thresholds' Bayesian bootstrap.
  std::vector<std::pair<double, double>> sample;
};

/// The rows kept for thresholds: the ones whose keyed hash is among the smallest this many, so
/// the sample does not depend on threads, blocks, shards or machines.
constexpr size_t kRegressionSampleRows = 2000;

class RegressionAccumulator final : public Accumulator {
 public:
  explicit RegressionAccumulator(uint64_t seed) : seed_(seed) {}
  void update(const Batch& batch, const BatchOrigin& origin) override;
  void merge(const Accumulator& other) override;
  std::string serialize() const override;
  static RegressionAccumulator deserialize(const std::string& blob);
  /// Throws DataError for an empty dataset.
  RegressionStatistics finalize() const;

 private:
  uint64_t seed_;
  RegressionSums all_;
  ExactSum fourth_power_error_;  // all rows only: for the mse threshold
  // The rows each replicate leaves out (about 20 %): replicate k = all_ - dropped_[k], exactly,
  // at a quarter of the additions that summing the kept rows would take.
  std::array<RegressionSums, kReplicates> dropped_;
  /// The sample: a max-heap on the hash while filling, so a row enters only below its top.
  struct SampleRow {
    uint64_t hash;
    double abs_error, truth;
    bool operator<(const SampleRow& o) const { return hash < o.hash; }
  };
  std::vector<SampleRow> sample_;
  void offer(const SampleRow& row);
};

}  // namespace mqmon
