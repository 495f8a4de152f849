#include "mqmon/constraints/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <type_traits>
#include <variant>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/output/json_writer.h"

namespace mqmon {

const char* operator_name(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kLessThan:
      return "LessThanThreshold";
    case ComparisonOperator::kLessThanOrEqualTo:
      return "LessThanOrEqualToThreshold";
    case ComparisonOperator::kGreaterThan:
      return "GreaterThanThreshold";
    case ComparisonOperator::kGreaterThanOrEqualTo:
      return "GreaterThanOrEqualToThreshold";
  }
  return "?";
}

ThresholdMethod parse_threshold_method(const std::string& text) {
  if (text == "window") return ThresholdMethod::kWindow;
  if (text == "baseline") return ThresholdMethod::kBaseline;
  throw ConfigError(not_one_of("threshold method", text, {"window", "baseline"}));
}

const char* method_name(ThresholdMethod m) {
  return m == ThresholdMethod::kWindow ? "window" : "baseline";
}

double normal_quantile(double p) {
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  // P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function".
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the exact CDF.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double hanley_mcneil_se(double a, double n_pos, double n_neg) {
  const double q1 = a / (2 - a);
  const double q2 = 2 * a * a / (1 + a);
  const double var =
      (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg);
  return std::sqrt(std::max(var, 0.0));
}

namespace {

struct ConstrainedMetric {
  BinaryScalar metric;
  ComparisonOperator op;
};
constexpr ConstrainedMetric kBinaryConstrained[] = {
    {kRecall, ComparisonOperator::kLessThan},
    {kPrecision, ComparisonOperator::kLessThan},
    {kAccuracy, ComparisonOperator::kLessThan},
    {kTruePositiveRate, ComparisonOperator::kLessThan},
    {kTrueNegativeRate, ComparisonOperator::kLessThan},
    {kFalsePositiveRate, ComparisonOperator::kGreaterThan},
    {kFalseNegativeRate, ComparisonOperator::kGreaterThan},
    {kAuc, ComparisonOperator::kLessThan},
    {kF0_5, ComparisonOperator::kLessThan},
    {kF1, ComparisonOperator::kLessThan},
    {kF2, ComparisonOperator::kLessThan},
};

bool lower_is_alarm(ComparisonOperator op) {
  return op == ComparisonOperator::kLessThan || op == ComparisonOperator::kLessThanOrEqualTo;
}

/// Type-7 (linear interpolation) quantile of sorted values, as numpy's default.
double quantile_sorted(const std::vector<double>& v, double q) {
  const double h = (static_cast<double>(v.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

/// One draw of n rows from a multinomial over cells with the given proportions (sequential
/// conditional binomials; std::binomial_distribution is deterministic for a given libstdc++).
std::vector<uint64_t> multinomial_draw(const std::vector<double>& p, uint64_t n,
                                       std::mt19937_64& rng) {
  std::vector<uint64_t> cells(p.size(), 0);
  int64_t remaining = static_cast<int64_t>(n);
  double rest = 1.0;
  for (size_t k = 0; k + 1 < p.size() && remaining > 0; ++k) {
    const double pk = rest > 0 ? std::clamp(p[k] / rest, 0.0, 1.0) : 0.0;
    std::binomial_distribution<int64_t> binom(remaining, pk);
    const int64_t x = binom(rng);
    cells[k] = static_cast<uint64_t>(x);
    remaining -= x;
    rest -= p[k];
  }
  if (!cells.empty()) cells.back() += static_cast<uint64_t>(remaining);
  return cells;
}

std::vector<double> proportions(const std::vector<uint64_t>& counts) {
  double total = 0;
  for (uint64_t c : counts) total += static_cast<double>(c);
  std::vector<double> p;
  for (uint64_t c : counts) p.push_back(static_cast<double>(c) / total);
  return p;
}

/// Calls draw(rng, b) for every replicate b, on every core: the replicates are cut into chunks
/// of 64, each with its own generator seeded by (seed, chunk), so the draws do not depend on the
/// number of threads. draw must only write what belongs to replicate b.
template <typename Draw>
void for_each_replicate(int replicates, uint64_t seed, Draw&& draw) {
  constexpr int kChunk = 64;
  const int chunks = (replicates + kChunk - 1) / kChunk;
  std::atomic<int> next{0};
  auto work = [&] {
    for (int c; (c = next++) < chunks;) {
      std::mt19937_64 rng(mix64(seed ^ 0x636f6e737472ULL) + static_cast<uint64_t>(c));
      for (int b = c * kChunk; b < std::min(replicates, (c + 1) * kChunk); ++b) draw(rng, b);
    }
  };
  const unsigned threads =
      std::min<unsigned>(std::max(1u, std::thread::hardware_concurrency()), chunks);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

void validate(const SuggestOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 0.5)) throw ConfigError("--alpha must be in (0, 0.5)");
  if (o.replicates < 10) throw ConfigError("the number of replicates must be at least 10");
}

/// The alarm-side quantile of a metric's sampling distribution.
double window_threshold(std::vector<double> values, ComparisonOperator op, double alpha) {
  std::sort(values.begin(), values.end());
  return quantile_sorted(values, lower_is_alarm(op) ? alpha : 1 - alpha);
}

/// constraints.json: the constraints, then (unless strict) the "mqmon" block whose "baseline"
/// member `baseline` writes.
template <typename BaselineWriter>
std::string write_constraints(const char* block, const std::vector<Constraint>& constraints,
                              const SuggestOptions& o, uint64_t item_count,
                              BaselineWriter&& baseline) {
  JsonWriter w;
  w.begin_object();
  w.key("version").value(0.0);
  w.key(block).begin_object();
  for (const auto& c : constraints) {
    w.key(c.metric).begin_object();
    w.key("threshold").value(c.threshold);
    w.key("comparison_operator").value(operator_name(c.op));
    w.end_object();
  }
  w.end_object();
  if (!o.strict_layout) {
    // What a monitor run needs to recompute every threshold at the size of the window it checks.
    w.key("mqmon").begin_object();
    w.key("threshold_method").value(method_name(o.method));
    w.key("alpha").value(o.alpha);
    w.key("window_size").value(o.window_size ? o.window_size : item_count);
    w.key("replicates").value(static_cast<int64_t>(o.replicates));
    w.key("seed").value(o.seed);
    w.key("baseline").begin_object();
    w.key("item_count").value(item_count);
    baseline(w);
    w.end_object();
    w.end_object();
  }
  w.end_object();
  return w.finish();
}

}  // namespace

std::vector<Constraint> suggest_binary_constraints(const BinaryStatistics& stats,
                                                   const SuggestOptions& o) {
  validate(o);
  const uint64_t n = o.window_size ? o.window_size : stats.item_count;
  std::vector<std::array<double, kBinaryScalarCount>> drawn;
  if (o.method == ThresholdMethod::kWindow) {
    const auto& c = stats.counts;
    const auto p = proportions({c.tn, c.fp, c.fn, c.tp});
    drawn.resize(static_cast<size_t>(o.replicates));
    for_each_replicate(o.replicates, o.seed, [&](std::mt19937_64& rng, int b) {
      const auto d = multinomial_draw(p, n, rng);
      drawn[static_cast<size_t>(b)] = binary_scalars({d[0], d[1], d[2], d[3]}, NAN);
    });
  }
  std::vector<Constraint> out;
  for (const auto& [metric, op] : kBinaryConstrained) {
    const double value = stats.metrics[metric].value;
    if (std::isnan(value)) continue;
    double threshold = value;
    if (o.method == ThresholdMethod::kWindow) {
      if (metric == kAuc) {
        const double prevalence = static_cast<double>(stats.counts.tp + stats.counts.fn) /
                                  static_cast<double>(stats.counts.total());
        const double n_pos = static_cast<double>(n) * prevalence;
        const double n_neg = static_cast<double>(n) - n_pos;
        threshold = value - normal_quantile(1 - o.alpha) * hanley_mcneil_se(value, n_pos, n_neg);
      } else {
        std::vector<double> v;
        for (const auto& d : drawn) v.push_back(d[metric]);
        threshold = window_threshold(std::move(v), op, o.alpha);
      }
      threshold = std::clamp(threshold, 0.0, 1.0);
    }
    out.push_back({kBinaryScalarNames[metric], threshold, op});
  }
  return out;
}

std::vector<Constraint> suggest_multiclass_constraints(const MulticlassStatistics& stats,
                                                       const SuggestOptions& o) {
  validate(o);
  static constexpr MulticlassScalar kConstrained[] = {
      kMcAccuracy, kWeightedRecall, kWeightedPrecision, kWeightedF0_5, kWeightedF1, kWeightedF2};
  std::vector<Constraint> out;
  std::vector<std::vector<double>> drawn(kMulticlassScalarCount);
  if (o.method == ThresholdMethod::kWindow) {
    const uint64_t n = o.window_size ? o.window_size : stats.item_count;
    std::vector<std::pair<uint32_t, uint32_t>> cells;
    std::vector<uint64_t> counts;
    for (const auto& [cell, count] : stats.confusion) {
      cells.push_back(cell);
      counts.push_back(count);
    }
    const auto p = proportions(counts);
    for (MulticlassScalar k : kConstrained) drawn[k].resize(static_cast<size_t>(o.replicates));
    for_each_replicate(o.replicates, o.seed, [&](std::mt19937_64& rng, int b) {
      const auto d = multinomial_draw(p, n, rng);
      SparseConfusion draw;
      for (size_t i = 0; i < cells.size(); ++i)
        if (d[i]) draw[cells[i]] = d[i];
      const auto m = multiclass_scalars(draw, stats.labels.size());
      for (MulticlassScalar k : kConstrained) drawn[k][static_cast<size_t>(b)] = m[k];
    });
  }
  for (MulticlassScalar k : kConstrained) {
    double threshold = stats.metrics[k].value;
    if (o.method == ThresholdMethod::kWindow)
      threshold =
          std::clamp(window_threshold(drawn[k], ComparisonOperator::kLessThan, o.alpha), 0.0, 1.0);
    out.push_back({kMulticlassScalarNames[k], threshold, ComparisonOperator::kLessThan});
  }
  return out;
}

std::vector<Constraint> suggest_regression_constraints(const RegressionStatistics& s,
                                                       const SuggestOptions& o) {
  validate(o);
  std::array<double, kRegressionScalarCount> t{};
  for (int m = 0; m < kRegressionScalarCount; ++m) t[m] = s.metrics[m].value;
  if (o.method == ThresholdMethod::kWindow) {
    // Normal approximations at the window size n (docs/constraints.md): the window's mae and
    // mse are means of n draws of |e| and e²; r2 = 1 - mse/var(y) by the delta method.
    const double n = static_cast<double>(o.window_size ? o.window_size : s.item_count);
    const double z = normal_quantile(1 - o.alpha);
    const double a = s.mean_squared_error, b = s.truth_variance;
    const double var_abs = std::max(0.0, a - s.mean_abs_error * s.mean_abs_error);
    const double var_sq = std::max(0.0, s.mean_fourth_power_error - a * a);
    t[kMae] = s.mean_abs_error + z * std::sqrt(var_abs / n);
    t[kMse] = a + z * std::sqrt(var_sq / n);
    t[kRmse] = std::sqrt(t[kMse]);
    if (b > 0) {
      const double var_r2 = (var_sq / (b * b) + 2 * a * a / (b * b)) / n;
      t[kR2] = std::min(1.0, s.metrics[kR2].value - z * std::sqrt(var_r2));
    }
  }
  std::vector<Constraint> out;
  for (int m = 0; m < kRegressionScalarCount; ++m)
    out.push_back({kRegressionScalarNames[m], t[m],
                   m == kR2 ? ComparisonOperator::kLessThan : ComparisonOperator::kGreaterThan});
  return out;
}

std::string write_binary_constraints(const std::vector<Constraint>& constraints,
                                     const BinaryStatistics& stats, const SuggestOptions& o) {
  return write_constraints(
      "binary_classification_constraints", constraints, o, stats.item_count, [&](JsonWriter& w) {
        const auto& c = stats.counts;
        w.key("confusion_counts").begin_object();
        w.key("true_negatives").value(c.tn);
        w.key("false_positives").value(c.fp);
        w.key("false_negatives").value(c.fn);
        w.key("true_positives").value(c.tp);
        w.end_object();
        w.key("auc").value(stats.metrics[kAuc].value);
        w.key("prevalence")
            .value(static_cast<double>(c.tp + c.fn) / static_cast<double>(c.total()));
      });
}

std::string write_multiclass_constraints(const std::vector<Constraint>& constraints,
                                         const MulticlassStatistics& stats,
                                         const SuggestOptions& o) {
  return write_constraints("multiclass_classification_constraints", constraints, o,
                           stats.item_count, [&](JsonWriter& w) {
                             // The non-zero cells: confusion_counts[actual][predicted].
                             w.key("confusion_counts").begin_object();
                             uint32_t row = UINT32_MAX;
                             for (const auto& [cell, count] : stats.confusion) {
                               if (cell.first != row) {
                                 if (row != UINT32_MAX) w.end_object();
                                 row = cell.first;
                                 w.key(stats.labels[row]).begin_object();
                               }
                               w.key(stats.labels[cell.second]).value(count);
                             }
                             if (row != UINT32_MAX) w.end_object();
                             w.end_object();
                           });
}

std::string write_regression_constraints(const std::vector<Constraint>& constraints,
                                         const RegressionStatistics& s, const SuggestOptions& o) {
  return write_constraints("regression_constraints", constraints, o, s.item_count,
                           [&](JsonWriter& w) {
                             w.key("mean_absolute_error").value(s.mean_abs_error);
                             w.key("mean_squared_error").value(s.mean_squared_error);
                             w.key("mean_fourth_power_error").value(s.mean_fourth_power_error);
                             w.key("truth_variance").value(s.truth_variance);
                           });
}

std::vector<Constraint> suggest_constraints(const AnyStatistics& stats, const SuggestOptions& o) {
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>)
          return suggest_binary_constraints(s, o);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>)
          return suggest_multiclass_constraints(s, o);
        else
          return suggest_regression_constraints(s, o);
      },
      stats);
}

std::string write_constraints(const AnyStatistics& stats,
                              const std::vector<Constraint>& constraints, const SuggestOptions& o) {
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>)
          return write_binary_constraints(constraints, s, o);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>)
          return write_multiclass_constraints(constraints, s, o);
        else
          return write_regression_constraints(constraints, s, o);
      },
      stats);
}

}  // namespace mqmon
