#include "mqmon/metrics/binary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "mqmon/common/error.h"

namespace mqmon {
namespace {

struct TestRow {
  std::string actual, predicted;
  double score;
};

Batch make_batch(const std::vector<TestRow>& rows, size_t from, size_t to) {
  Batch b;
  for (size_t i = from; i < to; ++i) {
    const uint64_t local = i - from;
    b.actual.push_back(b.labels.intern(rows[i].actual, local, local, LabelRole::kGroundTruth));
    b.predicted.push_back(b.labels.intern(rows[i].predicted, local, local, LabelRole::kInference));
    b.score.push_back(rows[i].score);
    b.record.push_back(static_cast<uint32_t>(local));
  }
  b.records = b.lines = to - from;
  return b;
}

BinaryOptions both() {
  BinaryOptions o;
  o.has_inference = o.has_probability = true;
  return o;
}

void expect_same(double a, double b, const char* what) {
  if (std::isnan(a))
    EXPECT_TRUE(std::isnan(b)) << what;
  else
    EXPECT_EQ(a, b) << what;
}

void expect_identical(const BinaryStatistics& a, const BinaryStatistics& b) {
  EXPECT_EQ(a.item_count, b.item_count);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.confusion, b.confusion);
  for (int m = 0; m < kBinaryScalarCount; ++m) {
    expect_same(a.metrics[m].value, b.metrics[m].value, kBinaryScalarNames[m]);
    expect_same(a.metrics[m].standard_deviation, b.metrics[m].standard_deviation,
                kBinaryScalarNames[m]);
  }
  EXPECT_EQ(a.roc_false_positive_rates, b.roc_false_positive_rates);
  EXPECT_EQ(a.roc_true_positive_rates, b.roc_true_positive_rates);
  EXPECT_EQ(a.pr_precisions, b.pr_precisions);
  EXPECT_EQ(a.pr_recalls, b.pr_recalls);
}

// The service's documented values: 4 rows, TN=1 FP=2 FN=0 TP=1.
TEST(Binary, ReproducesTheDocumentedValues) {
  const std::vector<TestRow> rows = {
      {"0", "0", 0.1}, {"0", "1", 0.7}, {"0", "1", 0.6}, {"1", "1", 0.9}};
  BinaryAccumulator acc(both());
  acc.update(make_batch(rows, 0, rows.size()), {});
  const auto s = acc.finalize(1000, {});
  EXPECT_EQ(s.labels, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(s.confusion, (std::vector<std::vector<uint64_t>>{{1, 2}, {0, 1}}));
  EXPECT_EQ(s.metrics[kRecall].value, 1.0);
  EXPECT_EQ(s.metrics[kPrecision].value, 0.3333333333333333);
  EXPECT_EQ(s.metrics[kAccuracy].value, 0.5);
  EXPECT_EQ(s.metrics[kTrueNegativeRate].value, 0.33333333333333337);
  EXPECT_EQ(s.metrics[kFalsePositiveRate].value, 0.6666666666666666);
  EXPECT_EQ(s.metrics[kFalseNegativeRate].value, 0.0);
  EXPECT_EQ(s.metrics[kF0_5].value, 0.3846153846153846);
  EXPECT_EQ(s.metrics[kF1].value, 0.5);
  EXPECT_EQ(s.metrics[kF2].value, 0.7142857142857143);
  EXPECT_EQ(s.metrics[kRecallBcc].value, 1.0);
  EXPECT_EQ(s.metrics[kPrecisionBcc].value, 0.25);
  EXPECT_EQ(s.metrics[kAccuracyBcc].value, 0.25);
  EXPECT_EQ(s.metrics[kF0_5Bcc].value, 0.29411764705882354);
  EXPECT_EQ(s.metrics[kF1Bcc].value, 0.4);
  EXPECT_EQ(s.metrics[kF2Bcc].value, 0.625);
  for (const auto& m : s.metrics) EXPECT_TRUE(std::isnan(m.standard_deviation));
  // The positive (0.9) outranks every negative: AUC 1; ROC as Spark draws it.
  EXPECT_EQ(s.metrics[kAuc].value, 1.0);
  EXPECT_EQ(s.roc_false_positive_rates, (std::vector<double>{0, 0, 1.0 / 3, 2.0 / 3, 1, 1}));
  EXPECT_EQ(s.roc_true_positive_rates, (std::vector<double>{0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(s.pr_recalls, (std::vector<double>{0, 1, 1, 1, 1}));
  EXPECT_EQ(s.pr_precisions, (std::vector<double>{1, 1, 0.5, 1.0 / 3, 0.25}));
}

TEST(Binary, ExactAucCountsTiesAsHalf) {
  // Scores: pos {0.8, 0.5}, neg {0.5, 0.2}: pairs (0.8>0.5) (0.8>0.2) (0.5=0.5: 1/2) (0.5>0.2)
  // -> 3.5/4.
  const std::vector<TestRow> rows = {
      {"1", "1", 0.8}, {"1", "1", 0.5}, {"0", "1", 0.5}, {"0", "0", 0.2}};
  BinaryAccumulator acc(both());
  acc.update(make_batch(rows, 0, rows.size()), {});
  EXPECT_EQ(acc.finalize(0, {}).metrics[kAuc].value, 0.875);
}

TEST(Binary, OneClassGivesNaNAucAndZeroRatios) {
  const std::vector<TestRow> rows = {{"1", "1", 0.8}, {"1", "0", 0.3}};
  BinaryAccumulator acc(both());
  acc.update(make_batch(rows, 0, rows.size()), {});
  const auto s = acc.finalize(0, {});
  EXPECT_TRUE(std::isnan(s.metrics[kAuc].value));
  EXPECT_EQ(s.metrics[kFalsePositiveRate].value, 0.0);
  EXPECT_EQ(s.metrics[kTrueNegativeRate].value, 1.0);
  EXPECT_EQ(s.metrics[kRecall].value, 0.5);
}

TEST(Binary, AThirdLabelIsNamedWithItsLocation) {
  const std::vector<TestRow> rows = {{"no", "no", 0.1}, {"yes", "yes", 0.9}, {"maybe", "no", 0.4}};
  BinaryOptions o = both();
  o.positive_label = "yes";
  BinaryAccumulator acc(o);
  const std::string file = "data.csv";
  acc.update(make_batch(rows, 0, rows.size()), {&file, 0, 0, 2});
  try {
    AttributeSpec names;
    names.ground_truth = "label";
    names.inference = "prediction";
    acc.finalize(0, {names});
    FAIL();
  } catch (const ParseError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("data.csv:4:"), std::string::npos) << m;
    EXPECT_NE(m.find("attribute 'label'"), std::string::npos) << m;
    EXPECT_NE(m.find("label 'maybe' is a third class"), std::string::npos) << m;
    EXPECT_NE(m.find("'no'"), std::string::npos) << m;
  }
}

TEST(Binary, EmptyDatasetIsAnError) {
  BinaryAccumulator acc(both());
  EXPECT_THROW(acc.finalize(0, {}), DataError);
}

std::vector<TestRow> random_rows(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<TestRow> rows;
  for (size_t i = 0; i < n; ++i) {
    const bool pos = rng() % 10 < 3;
    const double score =
        std::round((pos ? 0.3 : 0.0) + (rng() % 1000) / 1428.0 * 100) / 100;  // many ties
    rows.push_back({pos ? "1" : "0", score >= 0.5 ? "1" : "0", score});
  }
  return rows;
}

TEST(Binary, AnySplitGivesTheSinglePassResult) {
  const auto rows = random_rows(5000, 11);
  BinaryAccumulator single(both());
  single.update(make_batch(rows, 0, rows.size()), {nullptr, 0, 0, 1});
  const auto want = single.finalize(0, {});
  ASSERT_GE(want.item_count, 200u);
  ASSERT_FALSE(std::isnan(want.metrics[kAuc].standard_deviation));

  std::mt19937 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<size_t> cuts = {0, rows.size()};
    for (int k = 0; k < 1 + trial; ++k) cuts.push_back(rng() % rows.size());
    std::sort(cuts.begin(), cuts.end());
    std::vector<BinaryAccumulator> parts;
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
      parts.emplace_back(both());
      parts.back().update(make_batch(rows, cuts[c], cuts[c + 1]),
                          {nullptr, 0, cuts[c], cuts[c] + 1});
    }
    std::shuffle(parts.begin(), parts.end(), rng);
    // Half the shards travel through serialize/deserialize, as MPI ranks' states would.
    BinaryAccumulator merged(both());
    for (size_t p = 0; p < parts.size(); ++p) {
      if (p % 3 == 1)
        merged.merge(BinaryAccumulator::deserialize(parts[p].serialize()));
      else if (p % 3 == 2)
        merged.absorb(std::make_unique<BinaryAccumulator>(std::move(parts[p])));
      else
        merged.merge(parts[p]);
    }
    expect_identical(merged.finalize(0, {}), want);
  }
}

TEST(Binary, MergeRefusesDifferentOptions) {
  BinaryAccumulator a(both());
  BinaryOptions o = both();
  o.threshold = 0.7;
  BinaryAccumulator b(o);
  EXPECT_THROW(a.merge(b), ConfigError);
  EXPECT_THROW(BinaryAccumulator::deserialize("garbage"), DataError);
  auto blob = a.serialize();
  blob.resize(blob.size() - 3);
  EXPECT_THROW(BinaryAccumulator::deserialize(blob), DataError);
}

TEST(Binary, CurvesAreThinnedToTheCapWithTheirEndsKept) {
  const auto rows = random_rows(3000, 2);
  BinaryAccumulator acc(both());
  acc.update(make_batch(rows, 0, rows.size()), {});
  const auto full = acc.finalize(0, {});
  const size_t distinct = full.pr_recalls.size() - 1;
  ASSERT_GT(distinct, 40u);
  const auto thin = acc.finalize(10, {});
  EXPECT_LE(thin.pr_recalls.size() - 1, 10u);
  EXPECT_EQ(thin.roc_false_positive_rates.size(), thin.pr_recalls.size() + 1);
  // The last threshold (all rows predicted positive) is kept, then (1, 1).
  EXPECT_EQ(thin.pr_recalls.back(), 1.0);
  EXPECT_EQ(thin.roc_true_positive_rates.back(), 1.0);
  // Every thinned point is a point of the full curve.
  for (size_t i = 1; i < thin.pr_recalls.size(); ++i) {
    bool found = false;
    for (size_t j = 1; j < full.pr_recalls.size(); ++j)
      found |= full.pr_recalls[j] == thin.pr_recalls[i] &&
               full.pr_precisions[j] == thin.pr_precisions[i];
    EXPECT_TRUE(found) << i;
  }
  EXPECT_EQ(thin.metrics[kAuc].value, full.metrics[kAuc].value);  // never from a thinned curve
}

TEST(Binary, LargeTablesSweptInRangesGiveTheDirectAucAndCurves) {
  // 300,000 rows with ~200,000 distinct scores (ties too) in two absorbed tables: the table is
  // sorted, in two runs, and finalize sweeps it in score ranges on several threads. AUC and the
  // thinned curve points must equal a direct computation over the sorted rows.
  std::mt19937_64 rng(7);
  std::vector<TestRow> rows;
  for (int i = 0; i < 300000; ++i) {
    const bool pos = rng() % 3 == 0;
    double score = std::uniform_real_distribution<double>(0, 1)(rng);
    if (rng() % 4 == 0) score = std::round(score * 100) / 100;
    if (pos) score = std::min(1.0, score + 0.2);
    rows.push_back({pos ? "1" : "0", score >= 0.5 ? "1" : "0", score});
  }
  BinaryAccumulator a(both()), b(both());
  a.update(make_batch(rows, 0, 140000), {nullptr, 0, 0, 1});
  b.update(make_batch(rows, 140000, rows.size()), {nullptr, 1, 0, 1});
  a.finish_updates();
  b.finish_updates();
  a.absorb(std::make_unique<BinaryAccumulator>(std::move(b)));
  const size_t points = 1000;
  const auto s = a.finalize(points, {});

  std::vector<std::pair<double, bool>> sorted;
  for (const auto& r : rows) sorted.emplace_back(r.score, r.actual == "1");
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& x, const auto& y) { return x.first > y.first; });
  double positives = 0, negatives = 0;
  for (const auto& [score, pos] : sorted) (pos ? positives : negatives) += 1;
  // Distinct thresholds, highest first, with the cumulative counts at each.
  std::vector<std::pair<double, double>> cumulative;  // (tp, fp)
  double tp = 0, fp = 0, auc2 = 0;
  // DeLong's placements, summed over each tie group: a positive's share of negatives below it, a
  // negative's share of positives above it (ties count half).
  double pos_place_sq = 0, neg_place_sq = 0;
  std::vector<std::pair<double, double>> pos_places, neg_places;  // (rows, placement)
  for (size_t i = 0; i < sorted.size();) {
    double tie_pos = 0, tie_neg = 0;
    size_t j = i;
    for (; j < sorted.size() && sorted[j].first == sorted[i].first; ++j)
      (sorted[j].second ? tie_pos : tie_neg) += 1;
    auc2 += tie_neg * (2 * tp + tie_pos);
    const double below = (negatives - fp - tie_neg / 2) / negatives;
    const double above = (tp + tie_pos / 2) / positives;
    pos_place_sq += tie_pos * below * below;
    neg_place_sq += tie_neg * above * above;
    pos_places.emplace_back(tie_pos, below);
    neg_places.emplace_back(tie_neg, above);
    tp += tie_pos;
    fp += tie_neg;
    cumulative.emplace_back(tp, fp);
    i = j;
  }
  ASSERT_GT(cumulative.size(), 100000u);
  const double auc = auc2 / (2 * positives * negatives);
  EXPECT_NEAR(s.metrics[kAuc].value, auc, 1e-15);
  EXPECT_NEAR(s.auc_placement_variance_positives, pos_place_sq / positives - auc * auc, 1e-12);
  EXPECT_NEAR(s.auc_placement_variance_negatives, neg_place_sq / negatives - auc * auc, 1e-12);
  EXPECT_GT(s.auc_placement_variance_positives, 0.01);
  // Third and fourth central moments, about the AUC (the placements' mean), summed directly.
  auto central = [&](const std::vector<std::pair<double, double>>& places, int k, double rows) {
    double sum = 0;
    for (const auto& [n, v] : places) sum += n * std::pow(v - auc, k);
    return sum / rows;
  };
  EXPECT_NEAR(s.auc_placement_third_moment_positives, central(pos_places, 3, positives), 1e-12);
  EXPECT_NEAR(s.auc_placement_third_moment_negatives, central(neg_places, 3, negatives), 1e-12);
  EXPECT_NEAR(s.auc_placement_fourth_moment_positives, central(pos_places, 4, positives), 1e-12);
  EXPECT_NEAR(s.auc_placement_fourth_moment_negatives, central(neg_places, 4, negatives), 1e-12);
  EXPECT_LT(s.auc_placement_third_moment_positives, -1e-4);  // skewed: a few positives rank low
  const size_t group = (cumulative.size() + points - 1) / points;
  std::vector<double> recalls = {0.0}, fprs = {0.0};
  for (size_t i = 1; i <= cumulative.size(); ++i)
    if (i % group == 0 || i == cumulative.size()) {
      recalls.push_back(cumulative[i - 1].first / positives);
      fprs.push_back(cumulative[i - 1].second / negatives);
    }
  fprs.push_back(1.0);
  EXPECT_EQ(s.pr_recalls, recalls);
  EXPECT_EQ(s.roc_false_positive_rates, fprs);
}

TEST(Subsample, KeepsAboutEightyPercentIndependently) {
  uint64_t kept[kReplicates] = {};
  uint64_t both01 = 0;
  const uint64_t n = 200000;
  for (uint64_t r = 0; r < n; ++r) {
    const unsigned m = subsample_mask(kDefaultSeed, r);
    for (int k = 0; k < kReplicates; ++k) kept[k] += (m >> k) & 1;
    both01 += (m & 3) == 3;
  }
  for (auto k : kept) EXPECT_NEAR(static_cast<double>(k) / n, 0.8, 0.004);
  EXPECT_NEAR(static_cast<double>(both01) / n, 0.64, 0.004);
  EXPECT_NE(subsample_mask(1, 12345) | (subsample_mask(2, 12345) << 5),
            subsample_mask(1, 12345) * 33u);
}

}  // namespace
}  // namespace mqmon
