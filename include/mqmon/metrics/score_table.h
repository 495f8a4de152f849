#pragma once
/// The exact, mergeable table behind `auc` and the curves: for every distinct score, how many
/// positive and negative rows carry it, in the full data and in each subsample replicate.

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "mqmon/metrics/subsample.h"

namespace mqmon {

/// Open-addressing hash table keyed by the score's bits (-0 folded onto +0). One entry is one
/// cache line. Counts are integers, so merging tables in any order gives the same table.
class ScoreTable {
 public:
  /// Counts of one score for column 0 (all rows) and columns k+1 (replicate k).
  using Counts = std::array<uint64_t, kReplicates + 1>;

  ScoreTable();
  void add(double score, bool positive, unsigned replicate_mask) {
    Entry& e = slot_for(score);
    uint64_t& total = positive ? e.pos : e.neg;
    uint32_t* rep = positive ? e.rep_pos : e.rep_neg;
    ++total;
    for (int k = 0; k < kReplicates; ++k) rep[k] += (replicate_mask >> k) & 1u;
    // Replicate counts are 32-bit: move them to the wide side table before they could wrap.
    if ((total & 0x7fffffffu) == 0) [[unlikely]]
      spill(e);
  }
  void merge(const ScoreTable& other);
  size_t size() const { return entries_.size(); }

  /// Calls f(score, positives, negatives) for every distinct score in descending order.
  template <typename F>
  void for_each_descending(F&& f) const {
    Counts pos, neg;
    for (const auto& [sort_key, index] : descending_order()) {
      (void)sort_key;
      counts(entries_[index], pos, neg);
      f(score_of(entries_[index]), pos, neg);
    }
  }

  void serialize(std::string& out) const;
  /// Reads what serialize wrote at `pos`, advancing it. Throws DataError on malformed input.
  void deserialize(const std::string& in, size_t& pos);

 private:
  struct alignas(64) Entry {
    uint64_t key = 0;
    uint64_t pos = 0, neg = 0;
    uint32_t rep_pos[kReplicates] = {}, rep_neg[kReplicates] = {};
  };

  Entry& slot_for(double score);
  void grow();
  void spill(Entry& e);
  void counts(const Entry& e, Counts& pos, Counts& neg) const;
  void add_counts(double score, const Counts& pos, const Counts& neg);
  static double score_of(const Entry& e);
  std::vector<std::pair<uint64_t, uint32_t>> descending_order() const;

  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // entry index + 1; 0 = empty
  uint64_t mask_ = 0;
  std::unordered_map<uint64_t, std::array<uint64_t, 2 * kReplicates>>
      spilled_;  // key -> wide counts
};

}  // namespace mqmon
