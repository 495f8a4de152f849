#include "mqmon/constraints/suggest.h"

#include <algorithm>
#include <cmath>
#include <random>

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

/// B confusion matrices of n rows drawn from a multinomial with the baseline's cell proportions
/// (sequential conditional binomials), seeded so the thresholds are reproducible.
std::vector<ConfusionCounts> multinomial_draws(const ConfusionCounts& base, uint64_t n, int draws,
                                               uint64_t seed) {
  const double total = static_cast<double>(base.total());
  const double p[4] = {base.tn / total, base.fp / total, base.fn / total, base.tp / total};
  std::mt19937_64 rng(seed ^ 0x636f6e737472ULL);
  std::vector<ConfusionCounts> out(static_cast<size_t>(draws));
  for (auto& c : out) {
    uint64_t cells[4] = {0, 0, 0, 0};
    int64_t remaining = static_cast<int64_t>(n);
    double rest = 1.0;
    for (int k = 0; k < 3 && remaining > 0; ++k) {
      const double pk = rest > 0 ? std::clamp(p[k] / rest, 0.0, 1.0) : 0.0;
      std::binomial_distribution<int64_t> binom(remaining, pk);
      const int64_t x = binom(rng);
      cells[k] = static_cast<uint64_t>(x);
      remaining -= x;
      rest -= p[k];
    }
    cells[3] = static_cast<uint64_t>(remaining);
    c = {cells[0], cells[1], cells[2], cells[3]};
  }
  return out;
}

}  // namespace

std::vector<Constraint> suggest_binary_constraints(const BinaryStatistics& stats,
                                                   const SuggestOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 0.5)) throw ConfigError("--alpha must be in (0, 0.5)");
  if (o.replicates < 10) throw ConfigError("the number of replicates must be at least 10");
  const uint64_t n = o.window_size ? o.window_size : stats.item_count;
  std::vector<Constraint> out;
  std::vector<ConfusionCounts> draws;
  if (o.method == ThresholdMethod::kWindow)
    draws = multinomial_draws(stats.counts, n, o.replicates, o.seed);
  std::vector<std::array<double, kBinaryScalarCount>> drawn;
  drawn.reserve(draws.size());
  for (const auto& c : draws) drawn.push_back(binary_scalars(c, NAN));

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
        v.reserve(drawn.size());
        for (const auto& d : drawn) v.push_back(d[metric]);
        std::sort(v.begin(), v.end());
        threshold = quantile_sorted(v, lower_is_alarm(op) ? o.alpha : 1 - o.alpha);
      }
      threshold = std::clamp(threshold, 0.0, 1.0);
    }
    out.push_back({kBinaryScalarNames[metric], threshold, op});
  }
  return out;
}

std::string write_binary_constraints(const std::vector<Constraint>& constraints,
                                     const BinaryStatistics& stats, const SuggestOptions& o) {
  JsonWriter w;
  w.begin_object();
  w.key("version").value(0.0);
  w.key("binary_classification_constraints").begin_object();
  for (const auto& c : constraints) {
    w.key(c.metric).begin_object();
    w.key("threshold").value(c.threshold);
    w.key("comparison_operator").value(operator_name(c.op));
    w.end_object();
  }
  w.end_object();
  if (!o.strict_layout) {
    // What a monitor run needs to recompute every threshold at the size of the window it checks.
    const auto& c = stats.counts;
    w.key("mqmon").begin_object();
    w.key("threshold_method").value(method_name(o.method));
    w.key("alpha").value(o.alpha);
    w.key("window_size").value(o.window_size ? o.window_size : stats.item_count);
    w.key("replicates").value(static_cast<int64_t>(o.replicates));
    w.key("seed").value(o.seed);
    w.key("baseline").begin_object();
    w.key("item_count").value(stats.item_count);
    w.key("confusion_counts").begin_object();
    w.key("true_negatives").value(c.tn);
    w.key("false_positives").value(c.fp);
    w.key("false_negatives").value(c.fn);
    w.key("true_positives").value(c.tp);
    w.end_object();
    w.key("auc").value(stats.metrics[kAuc].value);
    w.key("prevalence").value(static_cast<double>(c.tp + c.fn) / static_cast<double>(c.total()));
    w.end_object();
    w.end_object();
  }
  w.end_object();
  return w.finish();
}

}  // namespace mqmon
