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

/// Two representations behind one interface (docs/performance.md):
/// - few distinct scores: an open-addressing hash table (cache-resident, one probe per row);
/// - beyond kHashLimit distinct scores: a run of entries sorted by score, fed by a buffer of
///   (score, tag) pairs that is radix-sorted, aggregated and merged into the run whenever it
///   reaches the run's size, so the cost per row stays constant and the memory proportional to
///   the number of distinct scores, never to the rows.
/// Entries hold 32-bit totals and 16-bit replicate counts; a count about to overflow moves to a
/// wide side table, so counts are exact at any size. Merging tables in any order gives the same
/// table.
class ScoreTable {
 public:
  /// Counts of one score for column 0 (all rows) and columns k+1 (replicate k).
  using Counts = std::array<uint64_t, kReplicates + 1>;
  static constexpr size_t kHashLimit = size_t{1} << 16;

  ScoreTable();
  void add(double score, bool positive, unsigned replicate_mask) {
    const uint64_t key = sort_key(score);
    if (!sorted_) {
      bump(slot_for(key), positive, replicate_mask);
      if (entries_.size() > kHashLimit) [[unlikely]]
        to_sorted();
      return;
    }
    pending_.push_back({key, static_cast<uint8_t>((positive ? 1u : 0u) | (replicate_mask << 1))});
    if (pending_.size() >= flush_at_) [[unlikely]]
      settle();
  }
  void merge(const ScoreTable& other);
  size_t size() const {
    settle();
    return entries_.size();
  }

  /// Calls f(score, positives, negatives) for every distinct score in descending order.
  template <typename F>
  void for_each_descending(F&& f) const {
    settle();
    Counts pos, neg;
    if (sorted_) {
      for (const Entry& e : entries_) {
        counts(e, pos, neg);
        f(score_of(e.key), pos, neg);
      }
      return;
    }
    for (uint32_t i : hash_order()) {
      counts(entries_[i], pos, neg);
      f(score_of(entries_[i].key), pos, neg);
    }
  }

  void serialize(std::string& out) const;
  /// Reads what serialize wrote at `pos`, advancing it. Throws DataError on malformed input.
  void deserialize(const std::string& in, size_t& pos);

 private:
  struct Entry {
    uint64_t key = 0;  ///< sort_key of the score
    uint32_t pos = 0, neg = 0;
    uint16_t rep_pos[kReplicates] = {}, rep_neg[kReplicates] = {};
  };
#pragma pack(push, 1)
  struct Pending {
    uint64_t key;
    uint8_t tag;  ///< bit 0: positive; bits 1-5: replicate membership
  };
#pragma pack(pop)

  /// An unsigned key whose ascending order is the scores' descending order (-0 folded onto +0).
  static uint64_t sort_key(double score);
  static double score_of(uint64_t key);

  Entry& slot_for(uint64_t key);
  void grow();
  void bump(Entry& e, bool positive, unsigned mask);
  void add_counts(Entry& e, const Counts& pos, const Counts& neg) const;
  void counts(const Entry& e, Counts& pos, Counts& neg) const;
  std::vector<uint32_t> hash_order() const;
  void to_sorted();
  /// Folds the pending rows into the sorted run (logically const: the counts do not change).
  void settle() const;
  /// Merges a sorted, key-unique run into entries_, taking counts through `counts_of`.
  template <typename CountsOf>
  void merge_run(const std::vector<Entry>& run, CountsOf&& counts_of) const;

  mutable std::vector<Entry> entries_;  // hash mode: insertion order; sorted mode: ascending key
  mutable std::vector<Entry> spare_;    // sorted mode: the merge target, reused
  std::vector<uint32_t> slots_;         // hash mode: entry index + 1; 0 = empty
  uint64_t mask_ = 0;
  bool sorted_ = false;
  mutable std::vector<Pending> pending_, scratch_;
  mutable size_t flush_at_ = 0;
  /// Counts that outgrew an entry's fields: key -> (positives, negatives) per column.
  mutable std::unordered_map<uint64_t, std::pair<Counts, Counts>> wide_;
};

}  // namespace mqmon
