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
  // auc by hand: var = 0.02·(E[1/n_pos] + 1/5000) + 0.03·(E[1/n_neg] + 1/5000) with
  // E[1/n_pos] = 1/5000·(1 + 0.5/5000); on the logit scale, sd/(0.9·0.1).
  const double e_inv = 1.0 / 5000 * (1 + 0.5 / 5000);
  const double sd = std::sqrt(0.02 * (e_inv + 1.0 / 5000) + 0.03 * (e_inv + 1.0 / 5000));
  const double logit = std::log(9.0) - normal_quantile(0.99) * sd / 0.09;
  EXPECT_EQ(a[7].metric, "auc");
  EXPECT_NEAR(a[7].threshold, 1 / (1 + std::exp(-logit)), 1e-12);
  EXPECT_EQ(a[7].method, "delong_logit");
  EXPECT_EQ(a[0].method, "dirichlet_multinomial");
}

}  // namespace
}  // namespace mqmon
