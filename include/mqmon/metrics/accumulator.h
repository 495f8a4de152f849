#pragma once
/// Accumulator: the mergeable state of a metric family (update / merge / finalize / serialize).
/// Threads, shards and MPI ranks all combine states with merge; merged results equal the
/// single-pass result exactly because every state is made of integer counts (or exact sums).

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "mqmon/metrics/subsample.h"
#include "mqmon/readers/batch.h"

namespace mqmon {

/// Where a batch sits in the dataset: its file (path, and the key of its name), the byte offset
/// of the block in the file, and the line number of its first line (0: not known, in a shard that
/// starts in the middle of a file).
struct BatchOrigin {
  const std::string* file = nullptr;
  uint64_t file_key = 0;
  uint64_t offset = 0;
  uint64_t first_line = 1;

  /// The key that places row i in the subsamples: its file and byte offset (in-memory rows: their
  /// index), so membership does not depend on how the dataset was split into blocks or shards.
  uint64_t row_key(const Batch& batch, size_t i) const {
    uint64_t key = file_key ^ (offset + batch.record_of(i));
    if (!batch.sub.empty() && batch.sub[i]) key ^= mix64(0x5bd1e995ULL + batch.sub[i]);
    return key;
  }
  /// subsample_mask(seed, row_key(batch, i)) of every row i, computed several rows at once with
  /// the CPU's widest vectors (into a buffer of the calling thread, valid until its next call).
  /// With `keys`, also the row keys it computed on the way (same buffer rules).
  const uint8_t* masks(const Batch& batch, uint64_t seed, const uint64_t** keys = nullptr) const;
};

/// The key of a file name (FNV-1a, mixed) without a .gz or .zst suffix; 0 for in-memory rows.
uint64_t file_key(const std::string& name);

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  virtual void update(const Batch& batch, const BatchOrigin& origin) = 0;
  /// Adds another state of the same kind and options. Throws ConfigError on a mismatch.
  virtual void merge(const Accumulator& other) = 0;
  /// merge() for a state that is not needed afterwards: it may take the other's memory instead
  /// of copying it.
  virtual void absorb(std::unique_ptr<Accumulator> other) { merge(*other); }
  /// Called by the thread that fed the state once its updates are over, so that work pending in
  /// the state (sorting buffered scores) happens on that thread, in parallel with the others,
  /// rather than in the serial merge after them.
  virtual void finish_updates() {}
  /// A self-describing binary blob (magic, version, options, state) that deserialize reads back.
  virtual std::string serialize() const = 0;
};

/// A scalar metric of statistics.json.
struct MetricValue {
  double value = 0;
  double standard_deviation = 0;  ///< NaN when undefined (fewer than 200 rows)
};

/// Standard deviations are reported from 200 rows on.
constexpr uint64_t kMinRowsForStd = 200;

/// The metric's value with the sample standard deviation (n-1) of its replicate values; NaN when
/// item_count < kMinRowsForStd or a replicate value is NaN.
MetricValue with_std(double value, const std::array<double, kReplicates>& replicates,
                     uint64_t item_count);

/// The first occurrence of a label in the dataset: the one in the first file (by path), at the
/// lowest byte offset.
struct LabelOccurrence {
  std::string file;
  uint64_t offset = 0;
  uint64_t line = 0;  ///< 0: not known (a shard from the middle of a file); `offset` locates it
  LabelRole role = LabelRole::kGroundTruth;
  std::string raw;
  bool before(const LabelOccurrence& o) const {
    return file != o.file ? file < o.file : offset < o.offset;
  }
};

/// Canonical label -> first occurrence; merging keeps the earliest, so it is split-independent.
using LabelOccurrences = std::map<std::string, LabelOccurrence>;

/// Records the batch's labels with their dataset-wide first occurrences.
void note_labels(LabelOccurrences& seen, const Batch& batch, const BatchOrigin& origin);
void merge_labels(LabelOccurrences& into, const LabelOccurrences& from);

/// Sorted label order for every output: numbers by value first, then other strings bytewise.
bool label_less(const std::string& a, const std::string& b);

}  // namespace mqmon
