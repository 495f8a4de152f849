#include "mqmon/metrics/accumulator.h"

#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

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

namespace {

// subsample_mask over an array of keys: ten SplitMix64 rounds a key, independent across keys, so
// the compiler runs 4 (AVX2) or 8 (AVX-512: 64-bit lane multiplies) keys at once. The clones are
// chosen by the loader from the CPU's features.
#if defined(__clang__)
#define MQMON_VECTORIZE
#else
#define MQMON_VECTORIZE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#endif
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) MQMON_VECTORIZE void
masks_of(uint64_t mixed_seed, const uint64_t* keys, size_t n, uint8_t* out) {
  constexpr uint64_t kKeepBelow = 14757395258967641292ULL;  // as subsample_mask
  for (size_t i = 0; i < n; ++i) {
    const uint64_t base = mixed_seed ^ (keys[i] * kReplicates);
    unsigned mask = 0;
    for (int k = 0; k < kReplicates; ++k)
      mask |= static_cast<unsigned>(mix64(mix64(base + static_cast<uint64_t>(k))) < kKeepBelow)
              << k;
    out[i] = static_cast<uint8_t>(mask);
  }
}

}  // namespace

const uint8_t* BatchOrigin::masks(const Batch& batch, uint64_t seed,
                                  const uint64_t** keys_out) const {
  thread_local std::vector<uint64_t> keys;
  thread_local std::vector<uint8_t> out;
  const size_t n = batch.rows();
  keys.resize(n);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) keys[i] = row_key(batch, i);
  masks_of(mix64(seed ^ 0x9e3779b97f4a7c15ULL), keys.data(), n, out.data());
  if (keys_out) *keys_out = keys.data();
  return out.data();
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
