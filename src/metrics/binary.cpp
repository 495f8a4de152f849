#include "mqmon/metrics/binary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "mqmon/common/blob.h"
#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/metrics/formulas.h"

namespace mqmon {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr char kMagic[] = "mqmon.binary.v3";

}  // namespace

// ---- binary ----

const std::array<const char*, kBinaryScalarCount> kBinaryScalarNames = {
    "recall",
    "precision",
    "accuracy",
    "recall_best_constant_classifier",
    "precision_best_constant_classifier",
    "accuracy_best_constant_classifier",
    "true_positive_rate",
    "true_negative_rate",
    "false_positive_rate",
    "false_negative_rate",
    "auc",
    "f0_5",
    "f1",
    "f2",
    "f0_5_best_constant_classifier",
    "f1_best_constant_classifier",
    "f2_best_constant_classifier"};

std::array<double, kBinaryScalarCount> binary_scalars(const ConfusionCounts& c, double auc) {
  std::array<double, kBinaryScalarCount> m{};
  const double tp = static_cast<double>(c.tp), fp = static_cast<double>(c.fp);
  const double tn = static_cast<double>(c.tn), fn = static_cast<double>(c.fn);
  const double n = static_cast<double>(c.total());
  m[kRecall] = ratio(tp, tp + fn);
  m[kPrecision] = ratio(tp, tp + fp);
  m[kAccuracy] = ratio(tp + tn, n);
  // Best constant classifier: always predict the positive label.
  const double prevalence = ratio(tp + fn, n);
  m[kRecallBcc] = ratio(tp + fn, tp + fn);
  m[kPrecisionBcc] = prevalence;
  m[kAccuracyBcc] = prevalence;
  m[kTruePositiveRate] = m[kRecall];
  m[kFalsePositiveRate] = ratio(fp, fp + tn);
  m[kTrueNegativeRate] = 1 - m[kFalsePositiveRate];  // as the service computes it
  m[kFalseNegativeRate] = 1 - m[kTruePositiveRate];
  m[kAuc] = auc;
  m[kF0_5] = fbeta(m[kPrecision], m[kRecall], 0.5);
  m[kF1] = fbeta(m[kPrecision], m[kRecall], 1);
  m[kF2] = fbeta(m[kPrecision], m[kRecall], 2);
  m[kF0_5Bcc] = fbeta(prevalence, m[kRecallBcc], 0.5);
  m[kF1Bcc] = fbeta(prevalence, m[kRecallBcc], 1);
  m[kF2Bcc] = fbeta(prevalence, m[kRecallBcc], 2);
  return m;
}

void AucSweep::add(const ScoreTable::Counts& pos, const ScoreTable::Counts& neg) {
  // AUC = P(score_pos > score_neg) + P(tie)/2 (Mann-Whitney U / (P·N)), accumulated exactly in
  // integers: the sum over thresholds of neg_i·(2·positives_above + pos_i), divided by 2·P·N.
  for (int c = 0; c <= kReplicates; ++c) {
    numerator_[c] +=
        static_cast<uint128>(neg[c]) * (2 * static_cast<uint128>(pos_above_[c]) + pos[c]);
    pos_above_[c] += pos[c];
    neg_total_[c] += neg[c];
  }
}

void AucSweep::start_below(const ScoreTable::Counts& positives_above) {
  for (int c = 0; c <= kReplicates; ++c) pos_above_[c] = positives_above[c];
}

void AucSweep::combine(const AucSweep& next_range) {
  for (int c = 0; c <= kReplicates; ++c) {
    numerator_[c] += next_range.numerator_[c];
    pos_above_[c] = next_range.pos_above_[c];  // it started from ours
    neg_total_[c] += next_range.neg_total_[c];
  }
}

double AucSweep::auc(int column) const {
  if (pos_above_[column] == 0 || neg_total_[column] == 0) return kNaN;
  const long double den = 2.0L * static_cast<long double>(pos_above_[column]) *
                          static_cast<long double>(neg_total_[column]);
  return static_cast<double>(static_cast<long double>(numerator_[column]) / den);
}

BinaryAccumulator::BinaryAccumulator(BinaryOptions options) : options_(std::move(options)) {
  options_.positive_label = canonical_label(options_.positive_label);
  if (!options_.negative_label.empty()) {
    options_.negative_label = canonical_label(options_.negative_label);
    if (options_.negative_label == options_.positive_label)
      throw ConfigError(fmt::format("the negative label must differ from the positive label '{}'",
                                    options_.positive_label));
  }
}

void BinaryAccumulator::update(const Batch& batch, const BatchOrigin& origin) {
  note_labels(labels_, batch, origin);
  std::vector<uint8_t> positive(batch.labels.entries().size());
  for (size_t i = 0; i < positive.size(); ++i)
    positive[i] = batch.labels.entries()[i].canonical == options_.positive_label;

  const size_t n = batch.rows();
  const double* scores = batch.score_data();
  const uint8_t* masks = origin.masks(batch, options_.seed);
  // Counts per cell (tn, fp, fn, tp) for all rows and each replicate, added without branches.
  uint64_t cells[kReplicates + 1][4] = {};
  for (size_t i = 0; i < n; ++i) {
    const bool actual_pos = positive[batch.actual[i]];
    const bool predicted_pos = options_.has_inference ? positive[batch.predicted[i]] != 0
                                                      : scores[i] >= options_.threshold;
    const double score = options_.has_probability ? scores[i] : (predicted_pos ? 1.0 : 0.0);
    const unsigned mask = masks[i];
    const int cell = (actual_pos ? 2 : 0) | (predicted_pos ? 1 : 0);
    ++cells[0][cell];
    for (int k = 0; k < kReplicates; ++k) cells[k + 1][cell] += (mask >> k) & 1u;
    scores_.add(score, actual_pos, mask);
  }
  for (int k = 0; k <= kReplicates; ++k) {
    counts_[k].tn += cells[k][0];
    counts_[k].fp += cells[k][1];
    counts_[k].fn += cells[k][2];
    counts_[k].tp += cells[k][3];
  }
}

const BinaryAccumulator& BinaryAccumulator::merge_counts(const Accumulator& other_base) {
  const auto* other = dynamic_cast<const BinaryAccumulator*>(&other_base);
  if (!other) throw ConfigError("cannot merge a binary classification state with another kind");
  const auto& a = options_;
  const auto& b = other->options_;
  if (a.positive_label != b.positive_label || a.negative_label != b.negative_label ||
      a.has_inference != b.has_inference || a.has_probability != b.has_probability ||
      a.threshold != b.threshold || a.seed != b.seed)
    throw ConfigError("cannot merge binary classification states computed with different options");
  for (int k = 0; k <= kReplicates; ++k) {
    counts_[k].tn += other->counts_[k].tn;
    counts_[k].fp += other->counts_[k].fp;
    counts_[k].fn += other->counts_[k].fn;
    counts_[k].tp += other->counts_[k].tp;
  }
  merge_labels(labels_, other->labels_);
  return *other;
}

void BinaryAccumulator::merge(const Accumulator& other) {
  scores_.merge(merge_counts(other).scores_);
}

void BinaryAccumulator::absorb(std::unique_ptr<Accumulator> other) {
  merge_counts(*other);  // checks that it is a compatible binary state
  scores_.absorb(std::move(static_cast<BinaryAccumulator&>(*other).scores_));
}

std::string BinaryAccumulator::serialize() const {
  std::string out(kMagic);
  blob::put_string(out, options_.positive_label);
  blob::put_string(out, options_.negative_label);
  blob::put<uint8_t>(out, options_.has_inference);
  blob::put<uint8_t>(out, options_.has_probability);
  blob::put(out, options_.threshold);
  blob::put(out, options_.seed);
  for (const auto& c : counts_) blob::put(out, c);
  blob::put<uint64_t>(out, labels_.size());
  for (const auto& [label, occ] : labels_) {
    blob::put_string(out, label);
    blob::put_string(out, occ.file);
    blob::put(out, occ.offset);
    blob::put(out, occ.line);
    blob::put(out, occ.role);
    blob::put_string(out, occ.raw);
  }
  scores_.serialize(out);
  return out;
}

BinaryAccumulator BinaryAccumulator::deserialize(const std::string& in) {
  const std::string magic(kMagic);
  if (in.compare(0, magic.size(), magic) != 0) throw DataError("not a binary classification state");
  size_t pos = magic.size();
  BinaryOptions o;
  o.positive_label = blob::get_string(in, pos);
  o.negative_label = blob::get_string(in, pos);
  o.has_inference = blob::get<uint8_t>(in, pos);
  o.has_probability = blob::get<uint8_t>(in, pos);
  o.threshold = blob::get<double>(in, pos);
  o.seed = blob::get<uint64_t>(in, pos);
  BinaryAccumulator acc(o);
  for (auto& c : acc.counts_) c = blob::get<ConfusionCounts>(in, pos);
  const auto labels = blob::get<uint64_t>(in, pos);
  for (uint64_t i = 0; i < labels; ++i) {
    std::string label = blob::get_string(in, pos);
    LabelOccurrence occ;
    occ.file = blob::get_string(in, pos);
    occ.offset = blob::get<uint64_t>(in, pos);
    occ.line = blob::get<uint64_t>(in, pos);
    occ.role = blob::get<LabelRole>(in, pos);
    occ.raw = blob::get_string(in, pos);
    acc.labels_.emplace(std::move(label), std::move(occ));
  }
  acc.scores_.deserialize(in, pos);
  if (pos != in.size()) throw DataError("binary classification state has trailing bytes");
  return acc;
}

namespace {

/// 'a', 'b', 'c' (the first five, then "and N more").
std::string quoted_list(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size() && i < 5; ++i)
    out += fmt::format("{}'{}'", i ? ", " : "", labels[i]);
  if (labels.size() > 5) out += fmt::format(" and {} more", labels.size() - 5);
  return out;
}

/// The label a person most likely means as positive: a conventional name, else the first seen.
std::string likely_positive(const std::vector<std::string>& labels) {
  for (const char* name : {"yes", "true", "y", "t", "positive", "pos", "1"})
    for (const auto& l : labels)
      if (l.size() == std::strlen(name) && std::equal(l.begin(), l.end(), name, [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          }))
        return l;
  return labels.front();
}

std::string where_in_file(const LabelOccurrence& occ) {
  return occ.line ? fmt::format("on line {}", occ.line) : fmt::format("at byte {}", occ.offset);
}

[[noreturn]] void third_label_error(const std::string& label, const LabelOccurrence& occ,
                                    const std::string& detail, const LabelSources& sources,
                                    const char* what = "is a third class") {
  Location where;
  where.file = occ.file;
  where.line = occ.line;
  where.byte = occ.offset;
  where.attribute = occ.role == LabelRole::kGroundTruth ? sources.attributes.ground_truth
                                                        : sources.attributes.inference;
  throw ParseError(where, fmt::format("label '{}' {}: {}", label, what, detail), occ.raw);
}

}  // namespace

namespace {

/// A label that reads as a probability (a number strictly between 0 and 1 with a fraction).
bool probability_like(const std::string& label) {
  const auto v = parse_double(label);
  return v && *v > 0 && *v < 1;
}

/// Σ count·x^k for k = 2, 3, 4 over whole numbers x, exactly (192-bit sums) while x is below
/// 2^32 (fewer than 2^31 rows of a class), so the result is the same in any order of adding and
/// merging; larger x go to a long double sum.
class PowerSums {
 public:
  void add(uint64_t x, uint64_t count) {
    if (x >> 32) {
      const long double v = x;
      for (int k = 0; k < 3; ++k) beyond_[k] += count * std::pow(v, k + 2);
      return;
    }
    const uint128 x2 = static_cast<uint128>(x) * x;  // < 2^64
    add_product(sums_[0], x2, count);
    add_product(sums_[1], x2 * x, count);
    add_product(sums_[2],
                static_cast<uint128>(static_cast<uint64_t>(x2)) * static_cast<uint64_t>(x2), count);
  }
  void merge(const PowerSums& o) {
    for (int k = 0; k < 3; ++k) {
      add_limbs(sums_[k], o.sums_[k][0], o.sums_[k][1], o.sums_[k][2]);
      beyond_[k] += o.beyond_[k];
    }
  }
  /// Σ count·x^(k + 2).
  long double value(int k) const {
    const auto& w = sums_[k];
    return std::ldexp(static_cast<long double>(w[2]), 128) +
           std::ldexp(static_cast<long double>(w[1]), 64) + static_cast<long double>(w[0]) +
           beyond_[k];
  }

 private:
  using Wide = std::array<uint64_t, 3>;
  static void add_limbs(Wide& a, uint64_t l0, uint64_t l1, uint64_t l2) {
    const uint128 t0 = static_cast<uint128>(a[0]) + l0;
    const uint128 t1 = static_cast<uint128>(a[1]) + l1 + static_cast<uint64_t>(t0 >> 64);
    a[0] = static_cast<uint64_t>(t0);
    a[1] = static_cast<uint64_t>(t1);
    a[2] += l2 + static_cast<uint64_t>(t1 >> 64);
  }
  static void add_product(Wide& a, uint128 v, uint64_t c) {
    const uint128 lo = static_cast<uint128>(static_cast<uint64_t>(v)) * c;
    const uint128 hi =
        static_cast<uint128>(static_cast<uint64_t>(v >> 64)) * c + static_cast<uint64_t>(lo >> 64);
    add_limbs(a, static_cast<uint64_t>(lo), static_cast<uint64_t>(hi),
              static_cast<uint64_t>(hi >> 64));
  }
  std::array<Wide, 3> sums_{};
  std::array<long double, 3> beyond_{};
};

}  // namespace

BinaryStatistics BinaryAccumulator::finalize(size_t curve_points,
                                             const LabelSources& sources) const {
  // More than two labels of which one reads as a probability: a score column given as labels,
  // said as such rather than as "a third class".
  if (labels_.size() > 2) {
    const LabelOccurrence* first = nullptr;
    std::string label;
    for (const auto& [l, occ] : labels_)
      if (probability_like(l) && (!first || occ.before(*first))) {
        first = &occ;
        label = l;
      }
    if (first) {
      const std::string& attribute = first->role == LabelRole::kGroundTruth
                                         ? sources.attributes.ground_truth
                                         : sources.attributes.inference;
      third_label_error(
          label, *first,
          fmt::format("the labels of a binary problem are classes (0/1, yes/no); is '{}' a "
                      "column of scores? Give scores as --probability-attribute (Python: "
                      "probability_attribute)",
                      attribute),
          sources, "looks like a probability, not a class");
    }
  }
  BinaryStatistics s;
  const ConfusionCounts& all = counts_[0];
  s.item_count = all.total();
  if (s.item_count == 0) throw NoDataError("the dataset has no rows to evaluate");
  s.counts = all;

  // The two classes: the positive label and one negative label.
  std::string negative = options_.negative_label;
  std::vector<std::pair<std::string, const LabelOccurrence*>> others;
  for (const auto& [label, occ] : labels_)
    if (label != options_.positive_label) others.emplace_back(label, &occ);
  std::sort(others.begin(), others.end(),
            [](const auto& a, const auto& b) { return a.second->before(*b.second); });
  for (const auto& [label, occ] : others) {
    if (negative.empty()) {
      negative = label;
    } else if (label != negative && options_.negative_label.empty() &&
               !labels_.count(options_.positive_label)) {
      // Two labels and neither is the positive one: yes/no, churn/stay, ... need --positive-label.
      std::vector<std::string> seen;
      for (const auto& o : others) seen.push_back(o.first);
      const std::string suggested = likely_positive(seen);
      third_label_error(
          label, *occ,
          fmt::format("the labels are {}, and none is the positive label '{}': name the positive "
                      "class with --positive-label {} (Python: positive_label=\"{}\")",
                      quoted_list(seen), options_.positive_label, suggested, suggested),
          sources, "is a second label");
    } else if (label != negative) {
      const auto first = labels_.find(negative);
      const std::string where = first != labels_.end()
                                    ? fmt::format(" (first seen {})", where_in_file(first->second))
                                    : std::string(" (set by --negative-label)");
      third_label_error(
          label, *occ,
          fmt::format("binary classification allows only the positive label '{}' and one "
                      "negative label, here '{}'{}",
                      options_.positive_label, negative, where),
          sources);
    }
  }
  if (negative.empty()) negative.assign(1, options_.positive_label == "0" ? '1' : '0');

  // Confusion matrix over the labels that occur as actual or predicted values.
  const bool pos_seen = all.tp + all.fn + all.fp > 0;
  const bool neg_seen = all.tn + all.fp + all.fn > 0;
  if (pos_seen || labels_.count(options_.positive_label))
    s.labels.push_back(options_.positive_label);
  if (neg_seen || labels_.count(negative)) s.labels.push_back(negative);
  std::sort(s.labels.begin(), s.labels.end(), label_less);
  auto index_of = [&](bool positive) {
    const std::string& l = positive ? options_.positive_label : negative;
    return static_cast<size_t>(std::find(s.labels.begin(), s.labels.end(), l) - s.labels.begin());
  };
  s.confusion.assign(s.labels.size(), std::vector<uint64_t>(s.labels.size(), 0));
  auto place = [&](bool actual, bool predicted, uint64_t n) {
    if (n) s.confusion[index_of(actual)][index_of(predicted)] += n;
  };
  place(false, false, all.tn);
  place(false, true, all.fp);
  place(true, false, all.fn);
  place(true, true, all.tp);

  // Two passes over the thresholds, highest first, each cut into score ranges that the cores
  // sweep at once: the first counts each range's distinct scores and rows, the second adds up
  // the exact AUCs of all rows and every replicate and draws the curve points as Spark's
  // BinaryClassificationMetrics does, each range starting from the counts above it.
  const double p_total = static_cast<double>(all.tp + all.fn);
  const double n_total = static_cast<double>(all.tn + all.fp);
  const size_t cores = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16);
  const std::vector<uint64_t> cuts = scores_.split_keys(cores);
  const size_t ranges = cuts.size() + 1;
  auto range_from = [&](size_t r) { return r == 0 ? uint64_t{0} : cuts[r - 1]; };
  auto range_to = [&](size_t r) { return r + 1 == ranges ? UINT64_MAX : cuts[r]; };
  auto in_parallel = [&](const auto& work) {
    std::vector<std::thread> threads;
    for (size_t r = 1; r < ranges; ++r) threads.emplace_back(work, r);
    work(0);
    for (auto& t : threads) t.join();
  };
  struct Range {
    size_t distinct = 0;
    ScoreTable::Counts positives{}, negatives{};
    AucSweep sweep;
    // Sums of the doubled placements' powers 2, 3, 4: exact, so that however the score range is
    // split (threads, shards) the moments come out bit for bit the same.
    PowerSums pos_placement_powers, neg_placement_powers;
    std::vector<double> fpr, tpr, recall, precision;
  };
  std::vector<Range> parts(ranges);
  in_parallel([&](size_t r) {
    Range& part = parts[r];
    scores_.for_each_descending_in(
        range_from(r), range_to(r),
        [&](double, const ScoreTable::Counts& pos, const ScoreTable::Counts& neg) {
          ++part.distinct;
          for (int c = 0; c <= kReplicates; ++c) {
            part.positives[c] += pos[c];
            part.negatives[c] += neg[c];
          }
        },
        [&](bool positive, unsigned mask) {
          ++part.distinct;
          ScoreTable::Counts& c = positive ? part.positives : part.negatives;
          ++c[0];
          for (int k = 0; k < kReplicates; ++k) c[k + 1] += (mask >> k) & 1u;
        });
  });
  size_t distinct = 0;
  for (const Range& part : parts) distinct += part.distinct;
  const size_t group = (curve_points == 0 || distinct <= curve_points)
                           ? 1
                           : (distinct + curve_points - 1) / curve_points;
  in_parallel([&](size_t r) {
    Range& part = parts[r];
    ScoreTable::Counts above{};
    size_t i = 0;  // distinct scores above this one
    for (size_t q = 0; q < r; ++q) {
      for (int c = 0; c <= kReplicates; ++c) above[c] += parts[q].positives[c];
      i += parts[q].distinct;
    }
    uint64_t cum_pos = above[0], cum_neg = 0;
    for (size_t q = 0; q < r; ++q) cum_neg += parts[q].negatives[0];
    part.sweep.start_below(above);
    size_t to_point = group - i % group;  // thresholds left in the current group
    auto threshold_done = [&] {
      ++i;
      if (--to_point == 0 || i == distinct) {  // the end of a group of thresholds
        if (to_point == 0) to_point = group;
        const double tp = static_cast<double>(cum_pos), fp = static_cast<double>(cum_neg);
        part.fpr.push_back(ratio(fp, n_total));
        part.tpr.push_back(ratio(tp, p_total));
        part.recall.push_back(ratio(tp, p_total));
        part.precision.push_back(ratio(tp, tp + fp));
      }
    };
    // DeLong's placements: each positive's share of negatives below it (ties count half), each
    // negative's share of positives above it; their second moments give the AUC's variance.
    // Doubled, they are whole numbers: 2·n_neg - 2·(negatives above) - (tied negatives), and
    // 2·(positives above) + (tied positives).
    auto placements = [&](uint64_t pos, uint64_t neg) {
      if (pos) part.pos_placement_powers.add(2 * (all.tn + all.fp - cum_neg) - neg, pos);
      if (neg) part.neg_placement_powers.add(2 * cum_pos + pos, neg);
    };
    scores_.for_each_descending_in(
        range_from(r), range_to(r),
        [&](double, const ScoreTable::Counts& pos, const ScoreTable::Counts& neg) {
          part.sweep.add(pos, neg);
          placements(pos[0], neg[0]);
          cum_pos += pos[0];
          cum_neg += neg[0];
          threshold_done();
        },
        [&](bool positive, unsigned mask) {
          part.sweep.add_one(positive, mask);
          placements(positive, !positive);
          (positive ? cum_pos : cum_neg) += 1;
          threshold_done();
        });
  });
  s.roc_false_positive_rates.push_back(0.0);
  s.roc_true_positive_rates.push_back(0.0);
  AucSweep sweep = parts[0].sweep;
  for (size_t r = 1; r < ranges; ++r) sweep.combine(parts[r].sweep);
  for (const Range& part : parts) {
    s.roc_false_positive_rates.insert(s.roc_false_positive_rates.end(), part.fpr.begin(),
                                      part.fpr.end());
    s.roc_true_positive_rates.insert(s.roc_true_positive_rates.end(), part.tpr.begin(),
                                     part.tpr.end());
    s.pr_recalls.insert(s.pr_recalls.end(), part.recall.begin(), part.recall.end());
    s.pr_precisions.insert(s.pr_precisions.end(), part.precision.begin(), part.precision.end());
  }

  const auto values = binary_scalars(all, sweep.auc(0));
  if (!std::isnan(values[kAuc])) {
    // Raw moments E[V^k] of the placements as shares (from the exact sums, in long double), then
    // central ones about the AUC, their mean.
    PowerSums pos_sums, neg_sums;
    for (const Range& part : parts) {
      pos_sums.merge(part.pos_placement_powers);
      neg_sums.merge(part.neg_placement_powers);
    }
    std::array<long double, 3> pos_raw{}, neg_raw{};
    long double n_power = 4.0L * n_total * n_total, p_power = 4.0L * p_total * p_total;
    for (int k = 0; k < 3; ++k, n_power *= 2 * n_total, p_power *= 2 * p_total) {
      pos_raw[k] = pos_sums.value(k) / (n_power * p_total);
      neg_raw[k] = neg_sums.value(k) / (p_power * n_total);
    }
    const long double a = values[kAuc];
    auto central = [&](const std::array<long double, 3>& r, double& var, double& third,
                       double& fourth) {
      var = static_cast<double>(std::max(0.0L, r[0] - a * a));
      third = static_cast<double>(r[1] - 3 * a * r[0] + 2 * a * a * a);
      fourth = static_cast<double>(
          std::max(0.0L, r[2] - 4 * a * r[1] + 6 * a * a * r[0] - 3 * a * a * a * a));
    };
    central(pos_raw, s.auc_placement_variance_positives, s.auc_placement_third_moment_positives,
            s.auc_placement_fourth_moment_positives);
    central(neg_raw, s.auc_placement_variance_negatives, s.auc_placement_third_moment_negatives,
            s.auc_placement_fourth_moment_negatives);
  }
  std::array<std::array<double, kReplicates>, kBinaryScalarCount> replicate{};
  for (int k = 0; k < kReplicates; ++k) {
    const auto r = binary_scalars(counts_[k + 1], sweep.auc(k + 1));
    for (int m = 0; m < kBinaryScalarCount; ++m) replicate[m][k] = r[m];
  }
  for (int m = 0; m < kBinaryScalarCount; ++m)
    s.metrics[m] = with_std(values[m], replicate[m], s.item_count);

  s.roc_false_positive_rates.push_back(1.0);
  s.roc_true_positive_rates.push_back(1.0);
  s.pr_recalls.insert(s.pr_recalls.begin(), 0.0);
  s.pr_precisions.insert(s.pr_precisions.begin(),
                         s.pr_precisions.empty() ? 1.0 : s.pr_precisions.front());
  return s;
}

}  // namespace mqmon
