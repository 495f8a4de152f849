#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "mqmon/common/error.h"
#include "mqmon/metrics/multiclass.h"
#include "mqmon/metrics/regression.h"

namespace mqmon {
namespace {

void expect_same(const MetricValue& a, const MetricValue& b) {
  EXPECT_EQ(a.value, b.value);
  if (std::isnan(a.standard_deviation))
    EXPECT_TRUE(std::isnan(b.standard_deviation));
  else
    EXPECT_EQ(a.standard_deviation, b.standard_deviation);
}

std::vector<size_t> random_cuts(size_t n, int pieces, std::mt19937& rng) {
  std::vector<size_t> cuts = {0, n};
  for (int k = 0; k < pieces; ++k) cuts.push_back(rng() % n);
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

Batch multiclass_batch(const std::vector<std::pair<std::string, std::string>>& rows, size_t from,
                       size_t to) {
  Batch b;
  for (size_t i = from; i < to; ++i) {
    const uint64_t local = i - from;
    b.actual.push_back(b.labels.intern(rows[i].first, local, local, LabelRole::kGroundTruth));
    b.predicted.push_back(b.labels.intern(rows[i].second, local, local, LabelRole::kInference));
    b.record.push_back(static_cast<uint32_t>(local));
  }
  b.records = b.lines = to - from;
  return b;
}

TEST(Multiclass, DocumentedValues) {
  // The documented multiclass example: 2096 rows, TN=1180 FP=510 FN=268 TP=138 read as a two-class
  // multiclass problem.
  SparseConfusion cells = {{{0, 0}, 1180}, {{0, 1}, 510}, {{1, 0}, 268}, {{1, 1}, 138}};
  const auto m = multiclass_scalars(cells, 2);
  EXPECT_EQ(m[kMcAccuracy], 0.6288167938931297);
  EXPECT_EQ(m[kWeightedRecall], 0.6288167938931297);
  EXPECT_EQ(m[kWeightedPrecision], 0.6983172269629505);
  EXPECT_EQ(m[kWeightedF0_5], 0.6803947317178771);
  EXPECT_EQ(m[kWeightedF1], 0.6571162346664904);
  EXPECT_EQ(m[kWeightedF2], 0.63840243543946);
  EXPECT_EQ(m[kMcAccuracyBcc], 1690.0 / 2096);  // the most frequent class, "0"
}

TEST(Multiclass, AnySplitGivesTheSinglePassResult) {
  std::mt19937 rng(4);
  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = 0; i < 4000; ++i) {
    const int a = static_cast<int>(rng() % 40);  // more than 32 labels in a batch: the sparse path
    const int p = rng() % 3 == 0 ? static_cast<int>(rng() % 41) : a;
    rows.emplace_back("c" + std::to_string(a), "c" + std::to_string(p));
  }
  MulticlassAccumulator single(7);
  single.update(multiclass_batch(rows, 0, rows.size()), {});
  const auto want = single.finalize();
  for (int trial = 0; trial < 10; ++trial) {
    const auto cuts = random_cuts(rows.size(), 1 + trial, rng);
    MulticlassAccumulator merged(7);
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
      MulticlassAccumulator part(7);
      part.update(multiclass_batch(rows, cuts[c], cuts[c + 1]), {nullptr, 0, cuts[c], 1});
      if (c % 2)
        merged.merge(MulticlassAccumulator::deserialize(part.serialize()));
      else
        merged.merge(part);
    }
    const auto got = merged.finalize();
    EXPECT_EQ(got.labels, want.labels);
    EXPECT_EQ(got.confusion, want.confusion);
    for (int m = 0; m < kMulticlassScalarCount; ++m) expect_same(got.metrics[m], want.metrics[m]);
  }
  EXPECT_THROW(MulticlassAccumulator(1).finalize(), DataError);
}

Batch regression_batch(const std::vector<std::pair<double, double>>& rows, size_t from, size_t to) {
  Batch b;
  for (size_t i = from; i < to; ++i) {
    b.truth.push_back(rows[i].first);
    b.prediction.push_back(rows[i].second);
    b.record.push_back(static_cast<uint32_t>(i - from));
  }
  b.records = b.lines = to - from;
  return b;
}

TEST(Regression, AnySplitGivesTheSinglePassResultEvenWithLargeOffsets) {
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0, 1);
  std::vector<std::pair<double, double>> rows;
  for (int i = 0; i < 5000; ++i) {
    const double y = 1e9 + noise(rng);
    rows.emplace_back(y, y + 0.5 * noise(rng));
  }
  RegressionAccumulator single(3);
  single.update(regression_batch(rows, 0, rows.size()), {});
  const auto want = single.finalize();
  EXPECT_GT(want.metrics[kR2].value, 0.7);  // no cancellation: y's variance is ~1 on top of 1e9
  EXPECT_LT(want.metrics[kR2].value, 0.85);
  for (int trial = 0; trial < 10; ++trial) {
    const auto cuts = random_cuts(rows.size(), 1 + trial, rng);
    RegressionAccumulator merged(3);
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
      RegressionAccumulator part(3);
      part.update(regression_batch(rows, cuts[c], cuts[c + 1]), {nullptr, 0, cuts[c], 1});
      if (c % 2)
        merged.merge(RegressionAccumulator::deserialize(part.serialize()));
      else
        merged.merge(part);
    }
    const auto got = merged.finalize();
    for (int m = 0; m < kRegressionScalarCount; ++m) expect_same(got.metrics[m], want.metrics[m]);
    EXPECT_EQ(got.truth_variance, want.truth_variance);
    EXPECT_EQ(got.mean_fourth_power_error, want.mean_fourth_power_error);
    // The threshold sample: the same 2000 rows, in the same order, however the rows were split.
    EXPECT_EQ(got.sample, want.sample);
  }
  EXPECT_EQ(want.sample.size(), kRegressionSampleRows);
}

TEST(Regression, ConstantTruthFollowsScikitLearn) {
  RegressionAccumulator perfect(1), imperfect(1);
  perfect.update(regression_batch({{2, 2}, {2, 2}}, 0, 2), {});
  imperfect.update(regression_batch({{2, 2}, {2, 3}}, 0, 2), {});
  EXPECT_EQ(perfect.finalize().metrics[kR2].value, 1.0);
  EXPECT_EQ(imperfect.finalize().metrics[kR2].value, 0.0);
  EXPECT_EQ(imperfect.finalize().metrics[kMae].value, 0.5);
}

}  // namespace
}  // namespace mqmon
