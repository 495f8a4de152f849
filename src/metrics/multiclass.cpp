#include "mqmon/metrics/multiclass.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "mqmon/common/blob.h"
#include "mqmon/common/error.h"
#include "mqmon/metrics/formulas.h"

namespace mqmon {

namespace {
constexpr char kMagic[] = "mqmon.multiclass.v1";

}  // namespace

const std::array<const char*, kMulticlassScalarCount> kMulticlassScalarNames = {
    "accuracy",
    "weighted_recall",
    "weighted_precision",
    "weighted_f0_5",
    "weighted_f1",
    "weighted_f2",
    "accuracy_best_constant_classifier",
    "weighted_recall_best_constant_classifier",
    "weighted_precision_best_constant_classifier",
    "weighted_f0_5_best_constant_classifier",
    "weighted_f1_best_constant_classifier",
    "weighted_f2_best_constant_classifier"};

std::array<double, kMulticlassScalarCount> multiclass_scalars(const SparseConfusion& cells,
                                                              size_t classes) {
  std::vector<uint64_t> support(classes, 0), predicted(classes, 0), correct(classes, 0);
  uint64_t total = 0;
  for (const auto& [cell, count] : cells) {
    support[cell.first] += count;
    predicted[cell.second] += count;
    if (cell.first == cell.second) correct[cell.first] += count;
    total += count;
  }
  std::array<double, kMulticlassScalarCount> m{};
  if (total == 0) {
    m.fill(std::numeric_limits<double>::quiet_NaN());
    return m;
  }
  const double n = static_cast<double>(total);
  uint64_t right = 0;
  for (uint64_t c : correct) right += c;
  m[kMcAccuracy] = static_cast<double>(right) / n;
  // Σ_c (support_c / N) · X_c, summed in sorted class order (this order reproduces the
  // documented weighted_f2 digits).
  for (size_t c = 0; c < classes; ++c) {
    const double w = static_cast<double>(support[c]) / n;
    const double recall = ratio(static_cast<double>(correct[c]), static_cast<double>(support[c]));
    const double precision =
        ratio(static_cast<double>(correct[c]), static_cast<double>(predicted[c]));
    m[kWeightedRecall] += w * recall;
    m[kWeightedPrecision] += w * precision;
    m[kWeightedF0_5] += w * fbeta(precision, recall, 0.5);
    m[kWeightedF1] += w * fbeta(precision, recall, 1);
    m[kWeightedF2] += w * fbeta(precision, recall, 2);
  }
  // Best constant classifier: always the most frequent actual class b. Only b is ever
  // predicted: recall_b = 1, precision_b = support_b / N, every other class scores 0.
  const size_t b =
      static_cast<size_t>(std::max_element(support.begin(), support.end()) - support.begin());
  const double p = static_cast<double>(support[b]) / n;
  m[kMcAccuracyBcc] = p;
  m[kWeightedRecallBcc] = p * 1.0;
  m[kWeightedPrecisionBcc] = p * p;
  m[kWeightedF0_5Bcc] = p * fbeta(p, 1.0, 0.5);
  m[kWeightedF1Bcc] = p * fbeta(p, 1.0, 1);
  m[kWeightedF2Bcc] = p * fbeta(p, 1.0, 2);
  return m;
}

uint32_t MulticlassAccumulator::class_id(const std::string& label) {
  auto [it, inserted] = ids_.emplace(label, static_cast<uint32_t>(names_.size()));
  if (inserted) names_.push_back(label);
  return it->second;
}

void MulticlassAccumulator::add_cell(uint32_t actual, uint32_t predicted, const Counts& counts) {
  Counts& c = cells_[(uint64_t{actual} << 32) | predicted];
  for (int k = 0; k <= kReplicates; ++k) c[k] += counts[k];
}

void MulticlassAccumulator::update(const Batch& batch, const BatchOrigin& origin) {
  const auto& entries = batch.labels.entries();
  std::vector<uint32_t> global(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) global[i] = class_id(entries[i].canonical);
  // Count into a dense per-batch matrix over the batch's labels when it is small, so the hot
  // loop does no hashing; large label sets go to the sparse map directly.
  const size_t k = entries.size();
  const size_t n = batch.rows();
  const uint8_t* masks = origin.masks(batch, seed_);
  if (k <= 32) {
    std::vector<Counts> dense(k * k, Counts{});
    for (size_t i = 0; i < n; ++i) {
      const unsigned mask = masks[i];
      Counts& c = dense[batch.actual[i] * k + batch.predicted[i]];
      c[0] += 1;
      for (int r = 0; r < kReplicates; ++r) c[r + 1] += (mask >> r) & 1u;
    }
    for (size_t a = 0; a < k; ++a)
      for (size_t p = 0; p < k; ++p)
        if (dense[a * k + p][0]) add_cell(global[a], global[p], dense[a * k + p]);
  } else {
    for (size_t i = 0; i < n; ++i) {
      const unsigned mask = masks[i];
      Counts one{};
      one[0] = 1;
      for (int r = 0; r < kReplicates; ++r) one[r + 1] = (mask >> r) & 1u;
      add_cell(global[batch.actual[i]], global[batch.predicted[i]], one);
    }
  }
}

void MulticlassAccumulator::merge(const Accumulator& other_base) {
  const auto* other = dynamic_cast<const MulticlassAccumulator*>(&other_base);
  if (!other) throw ConfigError("cannot merge a multiclass state with another kind");
  if (other->seed_ != seed_)
    throw ConfigError("cannot merge multiclass states with different seeds");
  for (const auto& [key, counts] : other->cells_)
    add_cell(class_id(other->names_[key >> 32]), class_id(other->names_[key & 0xffffffffu]),
             counts);
}

std::string MulticlassAccumulator::serialize() const {
  // Cells in the order of their labels' text, so equal states give equal bytes (the ids depend
  // on the order labels were met).
  std::vector<std::pair<std::pair<const std::string*, const std::string*>, const Counts*>> cells;
  for (const auto& [key, counts] : cells_)
    cells.push_back({{&names_[key >> 32], &names_[key & 0xffffffffu]}, &counts});
  std::sort(cells.begin(), cells.end(), [](const auto& a, const auto& b) {
    return std::tie(*a.first.first, *a.first.second) < std::tie(*b.first.first, *b.first.second);
  });
  std::string out(kMagic);
  blob::put(out, seed_);
  blob::put<uint64_t>(out, cells.size());
  for (const auto& [names, counts] : cells) {
    blob::put_string(out, *names.first);
    blob::put_string(out, *names.second);
    blob::put(out, *counts);
  }
  return out;
}

MulticlassAccumulator MulticlassAccumulator::deserialize(const std::string& in) {
  const std::string magic(kMagic);
  if (in.compare(0, magic.size(), magic) != 0) throw DataError("not a multiclass state");
  size_t pos = magic.size();
  MulticlassAccumulator acc(blob::get<uint64_t>(in, pos));
  const auto cells = blob::get<uint64_t>(in, pos);
  for (uint64_t i = 0; i < cells; ++i) {
    const uint32_t a = acc.class_id(blob::get_string(in, pos));
    const uint32_t p = acc.class_id(blob::get_string(in, pos));
    acc.add_cell(a, p, blob::get<Counts>(in, pos));
  }
  if (pos != in.size()) throw DataError("multiclass state has trailing bytes");
  return acc;
}

MulticlassStatistics MulticlassAccumulator::finalize() const {
  MulticlassStatistics s;
  // Classes: every label that occurs as an actual or predicted value, in sorted order.
  std::vector<uint32_t> used;
  for (const auto& [key, counts] : cells_) {
    used.push_back(static_cast<uint32_t>(key >> 32));
    used.push_back(static_cast<uint32_t>(key & 0xffffffffu));
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  for (uint32_t id : used) s.labels.push_back(names_[id]);
  std::sort(s.labels.begin(), s.labels.end(), label_less);
  std::unordered_map<std::string, uint32_t> index;
  for (size_t i = 0; i < s.labels.size(); ++i) index.emplace(s.labels[i], static_cast<uint32_t>(i));

  std::array<SparseConfusion, kReplicates + 1> cells;
  for (const auto& [key, counts] : cells_) {
    const auto cell =
        std::make_pair(index.at(names_[key >> 32]), index.at(names_[key & 0xffffffffu]));
    for (int k = 0; k <= kReplicates; ++k)
      if (counts[k]) cells[k][cell] = counts[k];
  }
  for (const auto& [cell, count] : cells[0]) s.item_count += count;
  if (s.item_count == 0) throw NoDataError("the dataset has no rows to evaluate");
  s.confusion = cells[0];
  const auto values = multiclass_scalars(cells[0], s.labels.size());
  std::array<std::array<double, kReplicates>, kMulticlassScalarCount> rep{};
  for (int k = 0; k < kReplicates; ++k) {
    const auto r = multiclass_scalars(cells[k + 1], s.labels.size());
    for (int m = 0; m < kMulticlassScalarCount; ++m) rep[m][k] = r[m];
  }
  for (int m = 0; m < kMulticlassScalarCount; ++m)
    s.metrics[m] = with_std(values[m], rep[m], s.item_count);
  return s;
}

}  // namespace mqmon
