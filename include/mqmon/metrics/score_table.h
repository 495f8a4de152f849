#pragma once
/// The exact, mergeable table behind `auc` and the curves: for every distinct score, how many
/// positive and negative rows carry it, in the full data and in each subsample replicate.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
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
/// In the sorted run a score carried by a single row stays that row (9 bytes: key and tag),
/// the common case with continuous scores; scores carried by several rows are entries of 32-bit
/// totals and 16-bit replicate counts (36 bytes); a count about to overflow moves to a wide side
/// table, so counts are exact at any size. Merging tables in any order gives the same
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
  /// merge() for a table that is not needed afterwards: its sorted run is kept as it is (no copy)
  /// and joined with the others only while they are read, so merging the workers' tables costs
  /// no memory.
  void absorb(ScoreTable&& other);
  /// The number of distinct scores.
  size_t size() const;
  /// Sorts what is buffered and frees the buffers (by the thread that added the rows).
  void finish_updates() {
    settle();
    release_buffers();
  }
  /// Up to `parts` - 1 sort keys that cut the scores into ranges of similar size, ascending.
  std::vector<uint64_t> split_keys(size_t parts) const;
  /// No separate callback for scores one row carries: f gets their counts too.
  struct NoSingle {};

  /// for_each_descending over the scores whose sort_key is in [from, to); with `single`,
  /// single(positive, replicate_mask) instead of f for a score one row carries (most scores,
  /// when they are continuous: no counts to build).
  template <typename F, typename Single = NoSingle>
  void for_each_descending_in(uint64_t from, uint64_t to, F&& f,
                              Single&& single = NoSingle()) const {
    settle();
    Counts pos, neg;
    if (!sorted_) {
      for (uint32_t i : hash_order())
        if (entries_[i].key >= from && entries_[i].key < to) {
          counts(entries_[i], pos, neg);
          f(score_of(entries_[i].key), pos, neg);
        }
      return;
    }
    auto each = [&](uint64_t key, const Counts& p, const Counts& n) { f(score_of(key), p, n); };
    if constexpr (std::is_same_v<std::decay_t<Single>, NoSingle>)
      merge_runs(each, from, to);
    else
      merge_runs(each, from, to, false,
                 [&](uint64_t, unsigned tag) { single(tag & 1u, tag >> 1); });
  }

  /// Calls f(score, positives, negatives) for every distinct score in descending order.
  template <typename F>
  void for_each_descending(F&& f) const {
    for_each_descending_in(0, UINT64_MAX, f);
  }

  void serialize(std::string& out) const;
  /// An unsigned key whose ascending order is the scores' descending order (-0 folded onto +0).
  static uint64_t sort_key(double score);
  static double score_of(uint64_t key);
  /// Reads what serialize wrote at `pos`, advancing it. Throws DataError on malformed input.
  void deserialize(const std::string& in, size_t& pos);

 private:
#pragma pack(push, 4)
  struct Entry {       // 36 bytes: the memory of the table is this times the distinct scores
    uint64_t key = 0;  ///< sort_key of the score
    uint32_t pos = 0, neg = 0;
    uint16_t rep_pos[kReplicates] = {}, rep_neg[kReplicates] = {};
  };
#pragma pack(pop)
#pragma pack(push, 1)
  struct Pending {
    uint64_t key;
    uint8_t tag;  ///< bit 0: positive; bits 1-5: replicate membership
  };
#pragma pack(pop)

  /// A sorted run: keys carried by one row as that row, the others as entries; each key in one.
  struct Run {
    std::vector<Entry> entries;
    std::vector<Pending> singles;
  };
  static void single_counts(const Pending& p, Counts& pos, Counts& neg);

  Entry& slot_for(uint64_t key);
  void grow();
  void bump(Entry& e, bool positive, unsigned mask);
  void add_counts(Entry& e, const Counts& pos, const Counts& neg) const;
  void counts(const Entry& e, Counts& pos, Counts& neg) const;
  void add_wide(uint64_t key, Counts& pos, Counts& neg) const;
  /// Calls f(key, positives, negatives) for every key of the main run and runs_ in [from, to),
  /// ascending, with the counts of all runs summed (a k-way merge; k is twice the number of
  /// absorbed tables + 2), and the wide side table's counts added unless `narrow_only`.
  /// With `single`, a key that one single alone holds (and no wide count) goes to
  /// single(key, tag) instead.
  template <typename F, typename Single = NoSingle>
  void merge_runs(F&& f, uint64_t from = 0, uint64_t to = UINT64_MAX, bool narrow_only = false,
                  Single&& single = NoSingle()) const;
  void release_buffers() const;
  /// Merges the main run and every absorbed run into the main run.
  void compact_runs();
  /// Turns the main run's singles into entries (before the rare merges that work on entries).
  void expand_singles();
  static constexpr size_t kMaxRuns = 8;
  /// Sets the row-buffer threshold for the run's current size.
  void rearm() const;
  /// Replaces an empty table by a sorted run of (key, counts), keys ascending.
  void load_sorted(const std::vector<std::pair<uint64_t, std::pair<Counts, Counts>>>& counts);
  std::vector<uint32_t> hash_order() const;
  void to_sorted();
  /// Folds the pending rows into the sorted run (logically const: the counts do not change).
  void settle() const;
  /// Merges a sorted, key-unique run into entries_, taking counts through `counts_of`.
  template <typename CountsOf>
  void merge_run(const std::vector<Entry>& run, CountsOf&& counts_of) const;

  mutable std::vector<Entry> entries_;    // hash mode: insertion order; sorted mode: ascending key
  mutable std::vector<Pending> singles_;  // sorted mode: the keys one row carries, ascending
  mutable std::vector<Entry> spare_;      // sorted mode: the merge targets, reused
  mutable std::vector<Pending> spare_singles_;
  std::vector<Run> runs_;        // absorbed sorted runs, read together with the main one
  std::vector<uint32_t> slots_;  // hash mode: entry index + 1; 0 = empty
  uint64_t mask_ = 0;
  bool sorted_ = false;
  mutable std::vector<Pending> pending_, scratch_;
  mutable size_t flush_at_ = 0;
  /// Counts that outgrew an entry's fields: key -> (positives, negatives) per column.
  mutable std::unordered_map<uint64_t, std::pair<Counts, Counts>> wide_;
};

template <typename F, typename Single>
void ScoreTable::merge_runs(F&& f, uint64_t from, uint64_t to, bool narrow_only,
                            Single&& single) const {
  // [next, end) of each array of entries and of singles.
  std::vector<std::pair<const Entry*, const Entry*>> entries;
  std::vector<std::pair<const Pending*, const Pending*>> singles;
  auto range = [&](const auto& v, auto& out) {
    using T = std::remove_cv_t<std::remove_reference_t<decltype(v[0])>>;
    auto below = [](const T& e, uint64_t key) { return e.key < key; };
    const T* first = std::lower_bound(v.data(), v.data() + v.size(), from, below);
    const T* last = to == UINT64_MAX ? v.data() + v.size()
                                     : std::lower_bound(first, v.data() + v.size(), to, below);
    if (first != last) out.emplace_back(first, last);
  };
  range(entries_, entries);
  range(singles_, singles);
  for (const auto& r : runs_) {
    range(r.entries, entries);
    range(r.singles, singles);
  }
  Counts pos, neg;
  for (;;) {
    // The smallest key, how many arrays hold it, and the single's cursor when one alone does.
    uint64_t key = UINT64_MAX;
    int holders = 0;
    std::pair<const Pending*, const Pending*>* only = nullptr;
    for (const auto& [next, end] : entries) {
      if (next == end) continue;
      if (next->key < key) {
        key = next->key;
        holders = 1;
      } else {
        holders += next->key == key;
      }
    }
    for (auto& cursor : singles) {
      if (cursor.first == cursor.second) continue;
      const uint64_t k = cursor.first->key;
      if (k < key) {
        key = k;
        holders = 1;
        only = &cursor;
      } else if (k == key) {
        ++holders;
      }
    }
    if (key == UINT64_MAX) return;  // no score has this key (it would be a NaN)
    if constexpr (!std::is_same_v<std::decay_t<Single>, NoSingle>) {
      // The common case with continuous scores: one single holds the key, nothing else does.
      if (holders == 1 && only && only->first->key == key && (wide_.empty() || !wide_.count(key))) {
        single(key, (only->first++)->tag);
        continue;
      }
    }
    pos.fill(0);
    neg.fill(0);
    for (auto& [next, end] : entries) {
      if (next == end || next->key != key) continue;
      pos[0] += next->pos;
      neg[0] += next->neg;
      for (int k = 0; k < kReplicates; ++k) {
        pos[k + 1] += next->rep_pos[k];
        neg[k + 1] += next->rep_neg[k];
      }
      ++next;
    }
    for (auto& [next, end] : singles) {
      if (next == end || next->key != key) continue;
      Counts& c = (next->tag & 1u) ? pos : neg;
      ++c[0];
      for (int k = 0; k < kReplicates; ++k) c[k + 1] += (next->tag >> (k + 1)) & 1u;
      ++next;
    }
    if (!narrow_only) add_wide(key, pos, neg);
    f(key, pos, neg);
  }
}

}  // namespace mqmon
