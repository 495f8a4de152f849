#include "mqmon/metrics/accumulator.h"

#include <cmath>
#include <limits>

#include "mqmon/common/numbers.h"

namespace mqmon {

MetricValue with_std(double value, const std::array<double, kReplicates>& replicates,
                     uint64_t item_count) {
  if (item_count < kMinRowsForStd) return {value, std::numeric_limits<double>::quiet_NaN()};
  double mean = 0;
  for (double x : replicates) mean += x;
  mean /= kReplicates;
  double ss = 0;
  for (double x : replicates) ss += (x - mean) * (x - mean);
  return {value, std::sqrt(ss / (kReplicates - 1))};  // NaN propagates from any replicate
}

void note_labels(LabelOccurrences& seen, const Batch& batch, const BatchOrigin& origin) {
  for (const auto& e : batch.labels.entries()) {
    LabelOccurrence occ{origin.first_record + e.first_record, origin.file,
                        origin.first_line + e.first_line, e.first_role, e.first_raw};
    auto [it, inserted] = seen.emplace(e.canonical, occ);
    if (!inserted && occ.record < it->second.record) it->second = std::move(occ);
  }
}

void merge_labels(LabelOccurrences& into, const LabelOccurrences& from) {
  for (const auto& [label, occ] : from) {
    auto [it, inserted] = into.emplace(label, occ);
    if (!inserted && occ.record < it->second.record) it->second = occ;
  }
}

bool label_less(const std::string& a, const std::string& b) {
  const auto na = parse_double(a), nb = parse_double(b);
  if (na && nb) return *na != *nb ? *na < *nb : a < b;
  if (na != nb) return static_cast<bool>(na);  // numbers first
  return a < b;
}

}  // namespace mqmon
