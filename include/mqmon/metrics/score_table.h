#pragma once
/// The exact, mergeable table behind `auc` and the curves: for every distinct score, how many
/// positive and negative rows carry it, in the full data and in each subsample replicate.

#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/metrics/subsample.h"

namespace mqmon {

struct ScoreCounts {
  double score = 0;
  uint64_t pos[kReplicates + 1] = {};  ///< [0]: all rows; [k+1]: replicate k
  uint64_t neg[kReplicates + 1] = {};
};

/// Open-addressing hash table keyed by the score's bits (-0 folded onto +0). Counts are integers,
/// so merging tables in any order gives the same table.
class ScoreTable {
 public:
  ScoreTable();
  void add(double score, bool positive, unsigned replicate_mask) {
    ScoreCounts& e = slot_for(score);
    uint64_t* c = positive ? e.pos : e.neg;
    c[0] += 1;
    for (int k = 0; k < kReplicates; ++k) c[k + 1] += (replicate_mask >> k) & 1u;
  }
  void merge(const ScoreTable& other);
  size_t size() const { return entries_.size(); }
  /// Entries by descending score.
  std::vector<ScoreCounts> sorted_descending() const;

  void serialize(std::string& out) const;
  /// Reads what serialize wrote at `pos`, advancing it. Throws DataError on malformed input.
  void deserialize(const std::string& in, size_t& pos);

 private:
  ScoreCounts& slot_for(double score);
  void add_counts(const ScoreCounts& counts);
  void grow();

  std::vector<ScoreCounts> entries_;
  std::vector<uint32_t> slots_;  // entry index + 1; 0 = empty
  uint64_t mask_ = 0;
};

}  // namespace mqmon
