#include "mqmon/constraints/suggest.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mqmon {
namespace {

TEST(NormalQuantile, MatchesKnownValues) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.99), 2.3263478740408408, 1e-13);
  EXPECT_NEAR(normal_quantile(0.01), -2.3263478740408408, 1e-13);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
}

TEST(HanleyMcNeil, MatchesTheFormula) {
  // A = 0.8, 50 positives, 150 negatives, worked by hand from the window formula in
  // docs/constraints.md.
  const double a = 0.8, q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
  const double var = (a * (1 - a) + 49 * (q1 - a * a) + 149 * (q2 - a * a)) / (50.0 * 150.0);
  EXPECT_DOUBLE_EQ(hanley_mcneil_se(0.8, 50, 150), std::sqrt(var));
  // By hand: Q1 = 2/3, Q2 = 32/45, var = (0.16 + 49(2/3 - 0.64) + 149(32/45 - 0.64)) / 7500 =
  // 0.0016083.
  EXPECT_NEAR(hanley_mcneil_se(0.8, 50, 150), 0.0401036, 1e-6);
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
  const auto s = stats_for({4000, 1000, 500, 4500}, 0.9);
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
  // accuracy 0.85 at n=10000: binomial sd 0.00357, 1% quantile ~ 0.85 - 2.326*0.00357 = 0.8417.
  EXPECT_NEAR(a[2].threshold, 0.85 - 2.326 * std::sqrt(0.85 * 0.15 / 10000), 0.0015);
  // auc: exactly A - z(0.99)·SE_HM(n_pos = 5000·... at prevalence 0.5).
  EXPECT_DOUBLE_EQ(a[7].threshold, 0.9 - normal_quantile(0.99) * hanley_mcneil_se(0.9, 5000, 5000));
}

}  // namespace
}  // namespace mqmon
