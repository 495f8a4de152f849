#pragma once
/// Suggested constraints: which metrics get one, in which direction, and at what
/// threshold — the baseline value, or the value the metric would cross by chance with
/// probability alpha on a monitoring window of a given size.

#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/metrics/any_statistics.h"

namespace mqmon {

enum class ComparisonOperator {
  kLessThan,
  kLessThanOrEqualTo,
  kGreaterThan,
  kGreaterThanOrEqualTo
};
/// "LessThanThreshold", ...
const char* operator_name(ComparisonOperator op);
/// A low value is the alarm (LessThan..., the threshold is a lower tail quantile).
bool lower_is_alarm(ComparisonOperator op);
/// Whether `value` violates a threshold with this operator (the comparison holding).
bool violates(ComparisonOperator op, double value, double threshold);

enum class ThresholdMethod { kWindow, kBaseline };
const char* method_name(ThresholdMethod m);
/// "window" or "baseline". Throws ConfigError.
ThresholdMethod parse_threshold_method(const std::string& text);

/// What alpha bounds: each metric's false-alarm probability on its own (one alarm per metric), or
/// the probability that a healthy window violates any constraint (one alarm per execution).
enum class AlphaScope { kMetric, kExecution };
const char* scope_name(AlphaScope s);
/// "metric" or "execution". Throws ConfigError.
AlphaScope parse_alpha_scope(const std::string& text);

struct SuggestOptions {
  ThresholdMethod method = ThresholdMethod::kWindow;
  AlphaScope scope = AlphaScope::kMetric;
  double alpha = 0.01;
  uint64_t window_size = 0;      ///< 0: the baseline's item count
  int replicates = 2000;         ///< multinomial draws for confusion-matrix metrics
  uint64_t seed = kDefaultSeed;  ///< the baseline job sets it to the job's --seed
  bool strict_layout = false;    ///< omit the "mqmon" block that records the method and inputs
  /// Use the normal formula where it equals the draws' quantile to 1e-3 (false: always draw; for
  /// tests that show the two agree where the switch is made).
  bool cheaper_formula = true;
};

struct Constraint {
  std::string metric;
  double threshold = 0;
  ComparisonOperator op = ComparisonOperator::kLessThan;
  /// How a suggestion made it (empty for constraints read from a file): "baseline",
  /// "dirichlet_multinomial", "bayesian_bootstrap", "normal" (the cheaper formula where it equals
  /// the bootstrap's quantile to 1e-3) or "delong_gamma_pivot"; and the per-metric tail
  /// probability used (alpha, or the execution scope's common level).
  std::string method;
  double level = 0;
};

/// The confusion cells' Dirichlet prior: this total mass spread evenly over the K² cells of K
/// labels (Jeffreys' 1/2 per cell for binary problems).
constexpr double kDirichletPriorMass = 2.0;

/// Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley
/// step; |error| < 1e-15 over (0, 1)).
double normal_quantile(double p);

/// The AUC's placement moments as the constraints file's mqmon block names them: the key and the
/// two classes' members of BinaryStatistics (the writer and the monitoring run's reader share it).
struct AucPlacementMoment {
  const char* key;
  double BinaryStatistics::*positives;
  double BinaryStatistics::*negatives;
};
inline constexpr AucPlacementMoment kAucPlacementMoments[] = {
    {"auc_placement_variance", &BinaryStatistics::auc_placement_variance_positives,
     &BinaryStatistics::auc_placement_variance_negatives},
    {"auc_placement_third_moment", &BinaryStatistics::auc_placement_third_moment_positives,
     &BinaryStatistics::auc_placement_third_moment_negatives},
    {"auc_placement_fourth_moment", &BinaryStatistics::auc_placement_fourth_moment_positives,
     &BinaryStatistics::auc_placement_fourth_moment_negatives},
};

/// One constraint per scalar binary metric (not the curves or best-constant variants). The auc
/// constraint is left out when the baseline's auc is undefined (one class).
std::vector<Constraint> suggest_binary_constraints(const BinaryStatistics& stats,
                                                   const SuggestOptions& options);

/// The six scalar multiclass metrics (not the best-constant variants), all LessThanThreshold.
std::vector<Constraint> suggest_multiclass_constraints(const MulticlassStatistics& stats,
                                                       const SuggestOptions& options);

/// mae, mse, rmse (GreaterThanThreshold) and r2 (LessThanThreshold).
std::vector<Constraint> suggest_regression_constraints(const RegressionStatistics& stats,
                                                       const SuggestOptions& options);

/// constraints.json, with the "mqmon" block unless strict_layout.
std::string write_binary_constraints(const std::vector<Constraint>& constraints,
                                     const BinaryStatistics& stats, const SuggestOptions& options);
std::string write_multiclass_constraints(const std::vector<Constraint>& constraints,
                                         const MulticlassStatistics& stats,
                                         const SuggestOptions& options);
/// The suggestion and constraints.json for statistics of any problem type.
std::vector<Constraint> suggest_constraints(const AnyStatistics& stats,
                                            const SuggestOptions& options);
std::string write_constraints(const AnyStatistics& stats,
                              const std::vector<Constraint>& constraints,
                              const SuggestOptions& options);

std::string write_regression_constraints(const std::vector<Constraint>& constraints,
                                         const RegressionStatistics& stats,
                                         const SuggestOptions& options);

}  // namespace mqmon
