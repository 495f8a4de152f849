#include "mqmon/metrics/accumulator.h"

#include <cmath>
#include <limits>
#include <string_view>

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

uint64_t file_key(const std::string& name) {
  std::string_view n = name;
  for (std::string_view suffix : {".gz", ".zst"})  // a compressed copy keeps its rows' keys
    if (n.size() > suffix.size() && n.substr(n.size() - suffix.size()) == suffix)
      n.remove_suffix(suffix.size());
  if (n.empty()) return 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : n) h = (h ^ c) * 0x100000001b3ULL;
  return mix64(h);
}

void note_labels(LabelOccurrences& seen, const Batch& batch, const BatchOrigin& origin) {
  for (const auto& e : batch.labels.entries()) {
    LabelOccurrence occ{
        origin.file ? *origin.file : std::string(), origin.offset + e.first_position,
        origin.first_line ? origin.first_line + e.first_line : 0, e.first_role, e.first_raw};
    auto [it, inserted] = seen.emplace(e.canonical, occ);
    if (!inserted && occ.before(it->second)) it->second = std::move(occ);
  }
}

void merge_labels(LabelOccurrences& into, const LabelOccurrences& from) {
  for (const auto& [label, occ] : from) {
    auto [it, inserted] = into.emplace(label, occ);
    if (!inserted && occ.before(it->second)) it->second = occ;
  }
}

bool label_less(const std::string& a, const std::string& b) {
  const auto na = parse_double(a), nb = parse_double(b);
  if (na && nb) return *na != *nb ? *na < *nb : a < b;
  if (na != nb) return static_cast<bool>(na);  // numbers first
  return a < b;
}

}  // namespace mqmon
