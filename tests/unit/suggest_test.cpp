#include "mqmon/constraints/suggest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mqmon {
namespace {

TEST(NormalQuantile, MatchesKnownValues) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.99), 2.3263478740408408, 1e-13);
  EXPECT_NEAR(normal_quantile(0.01), -2.3263478740408408, 1e-13);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
}

BinaryStatistics stats_for(ConfusionCounts c, double auc) {
  BinaryStatistics s;
  s.counts = c;
  s.item_count = c.total();
  const auto v = binary_scalars(c, auc);
  for (int m = 0; m < kBinaryScalarCount; ++m) s.metrics[m] = {v[m], NAN};
  return s;
}

TEST(Suggest, BaselineMethodUsesTheValuesAndDirections) {
  const auto s = stats_for({400, 100, 50, 450}, 0.9);
  SuggestOptions o;
  o.method = ThresholdMethod::kBaseline;
  const auto cs = suggest_binary_constraints(s, o);
  ASSERT_EQ(cs.size(), 11u);
  for (const auto& c : cs) {
    const bool lower_is_better =
        c.metric == "false_positive_rate" || c.metric == "false_negative_rate";
    EXPECT_EQ(c.op,
              lower_is_better ? ComparisonOperator::kGreaterThan : ComparisonOperator::kLessThan)
        << c.metric;
  }
  EXPECT_EQ(cs[0].metric, "recall");
  EXPECT_EQ(cs[0].threshold, 0.9);
}

TEST(Suggest, WindowThresholdsWidenAsTheWindowShrinks) {
  auto s = stats_for({4000, 1000, 500, 4500}, 0.9);
  s.auc_placement_variance_positives = 0.02;
  s.auc_placement_variance_negatives = 0.03;
  SuggestOptions big, small;
  big.window_size = 10000;
  small.window_size = 100;
  const auto a = suggest_binary_constraints(s, big);
  const auto b = suggest_binary_constraints(s, small);
  const auto c = suggest_binary_constraints(s, big);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].threshold, c[i].threshold) << "seeded, hence reproducible";
    if (a[i].op == ComparisonOperator::kLessThan)
      EXPECT_LT(b[i].threshold, a[i].threshold) << a[i].metric;
    else
      EXPECT_GT(b[i].threshold, a[i].threshold) << a[i].metric;
    EXPECT_GE(b[i].threshold, 0.0);
    EXPECT_LE(b[i].threshold, 1.0);
  }
  // accuracy 0.85: the window's sd at n = 10000 and the baseline's at N = 10000 add up:
  // sd = sqrt(0.85·0.15·(1/10000 + 1/10000)); the 1% quantile ~ 0.85 - 2.326·sd.
  EXPECT_NEAR(a[2].threshold, 0.85 - 2.326 * std::sqrt(0.85 * 0.15 * 2 / 10000), 0.002);
  // auc by hand: 5000 positives and negatives, the prior's 0.2 pseudo-rows of each class
  // (placements uniform on [0, 1]); var = v10·(E[1/n_pos] + 1/5000.2) + v01·(...), with
  // E[1/n_pos] = 1/5000·(1 + 0.5/5000). Window and baseline the same size: the pivot is the
  // difference of two gamma variables of the same shape, symmetric and, at this size, normal.
  const double m = 0.2, p = 5000;
  const double a_prior = (0.9 * p * p + m * (2 * p + m) / 2) / ((p + m) * (p + m));
  auto mix = [&](double v) {
    return (p * (v + (0.9 - a_prior) * (0.9 - a_prior)) +
            m * (1.0 / 12 + (0.5 - a_prior) * (0.5 - a_prior))) /
           (p + m);
  };
  const double e_inv = 1.0 / 5000 * (1 + 0.5 / 5000);
  const double sd = std::sqrt((mix(0.02) + mix(0.03)) * (e_inv + 1 / (p + m)));
  EXPECT_EQ(a[7].metric, "auc");
  // 2^14 draws: the 1 % quantile to about 0.03 sd.
  EXPECT_NEAR(a[7].threshold, a_prior + normal_quantile(0.01) * sd, 0.1 * sd);
  EXPECT_EQ(a[7].method, "delong_gamma_pivot");
  EXPECT_EQ(a[0].method, "dirichlet_multinomial");
}

TEST(Suggest, TheAucThresholdAllowsForTheBaselinesOwnSkewAndKurtosis) {
  // 150 positives, 850 negatives, AUC 0.95, placements' variances as a typical score gives.
  auto s = stats_for({800, 50, 30, 120}, 0.95);
  s.auc_placement_variance_positives = 0.012;
  s.auc_placement_variance_negatives = 0.006;
  auto threshold = [&](uint64_t window) {
    SuggestOptions o;
    o.window_size = window;
    return suggest_binary_constraints(s, o)[7].threshold;
  };
  // A small baseline's AUC is skewed low; the window's is skewed low too, and the pivot
  // (window - baseline) takes the baseline's reversed: with the window 20 times the baseline the
  // pivot's lower tail is shorter than a normal's with the same variance.
  const double normal = [&] {
    const double m = 0.2, pos = 150, neg = 850;
    const double a = (0.95 * pos * neg + m * (pos + neg + m) / 2) / ((pos + m) * (neg + m));
    auto mix = [&](double v, double rows) {
      return (rows * (v + (0.95 - a) * (0.95 - a)) + m * (1.0 / 12 + (0.5 - a) * (0.5 - a))) /
             (rows + m);
    };
    const double n = 20000, pi = 0.15;
    auto inv = [&](double q) { return 1 / (n * q) * (1 + (1 - q) / (n * q)); };
    const double var = mix(0.012, pos) * (inv(pi) + 1 / (pos + m)) +
                       mix(0.006, neg) * (inv(1 - pi) + 1 / (neg + m));
    return a + normal_quantile(0.01) * std::sqrt(var);
  }();
  const double light = threshold(20000);
  EXPECT_GT(light, normal);
  // Placements with heavy tails (kurtosis 30, as when a few positives rank very low) make the
  // baseline's variance uncertain: the threshold widens.
  s.auc_placement_fourth_moment_positives = 30 * 0.012 * 0.012;
  s.auc_placement_fourth_moment_negatives = 30 * 0.006 * 0.006;
  EXPECT_LT(threshold(20000), light - 0.002);
}

/// Regression statistics of N rows with errors from `draw`: exact moments from all rows, the
/// first min(N, 2000) rows as the sample.
template <typename Draw>
RegressionStatistics regression_stats(size_t N, Draw&& draw) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> truth(10, 2);
  RegressionStatistics s;
  s.item_count = N;
  double a = 0, b = 0, c = 0, sy = 0, syy = 0;
  for (size_t i = 0; i < N; ++i) {
    const double e = draw(rng), y = truth(rng);
    a += std::fabs(e);
    b += e * e;
    c += e * e * e * e;
    sy += y;
    syy += y * y;
    if (i < kRegressionSampleRows) s.sample.emplace_back(std::fabs(e), y);
  }
  const double n = static_cast<double>(N);
  s.mean_abs_error = a / n;
  s.mean_squared_error = b / n;
  s.mean_fourth_power_error = c / n;
  s.truth_variance = syy / n - (sy / n) * (sy / n);
  s.metrics[kMae].value = s.mean_abs_error;
  s.metrics[kMse].value = s.mean_squared_error;
  s.metrics[kRmse].value = std::sqrt(s.mean_squared_error);
  s.metrics[kR2].value = 1 - s.mean_squared_error / s.truth_variance;
  return s;
}

TEST(Suggest, TheNormalFormulaIsUsedWhereItEqualsTheDrawsTo1e3) {
  // Bounded errors (no tail widening), N = 10^6 rows, windows of 10^5 and 10^6: the switch picks
  // the formula, and the draws (10000 replicates, forced) agree to 1e-3 of the threshold.
  const auto s = regression_stats(1000000, [](std::mt19937_64& rng) {
    return std::uniform_real_distribution<double>(-1.7, 1.7)(rng);
  });
  for (uint64_t n : {100000u, 1000000u}) {
    SuggestOptions o;
    o.window_size = n;
    const auto formula = suggest_regression_constraints(s, o);
    EXPECT_EQ(formula[kMae].method, "normal") << n;
    EXPECT_EQ(formula[kMse].method, "normal") << n;
    o.cheaper_formula = false;
    o.replicates = 10000;
    const auto draws = suggest_regression_constraints(s, o);
    EXPECT_EQ(draws[kMse].method, "bayesian_bootstrap");
    for (int m : {kMae, kMse, kRmse})
      EXPECT_NEAR(draws[m].threshold / formula[m].threshold, 1.0, 1e-3) << n << " " << m;
    EXPECT_NEAR(draws[kR2].threshold, formula[kR2].threshold, 1e-3) << n;
  }
  // A small window of heavy-tailed errors keeps the draws.
  const auto t5 = regression_stats(
      2000, [](std::mt19937_64& rng) { return std::student_t_distribution<double>(5)(rng); });
  SuggestOptions o;
  o.window_size = 200;
  EXPECT_EQ(suggest_regression_constraints(t5, o)[kMse].method, "bayesian_bootstrap");
}

}  // namespace
}  // namespace mqmon
