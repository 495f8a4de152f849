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

/// Where a batch sits in the dataset: its file, the dataset-wide ordinal of its first record and
/// the line number of its first line in that file.
struct BatchOrigin {
  uint32_t file = 0;
  uint64_t first_record = 0;
  uint64_t first_line = 1;
};

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  virtual void update(const Batch& batch, const BatchOrigin& origin) = 0;
  /// Adds another state of the same kind and options. Throws ConfigError on a mismatch.
  virtual void merge(const Accumulator& other) = 0;
  /// merge() for a state that is not needed afterwards: it may take the other's memory instead
  /// of copying it.
  virtual void absorb(std::unique_ptr<Accumulator> other) { merge(*other); }
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

/// The first occurrence of a label in the dataset (the one with the lowest record ordinal).
struct LabelOccurrence {
  uint64_t record = 0;
  uint32_t file = 0;
  uint64_t line = 0;
  LabelRole role = LabelRole::kGroundTruth;
  std::string raw;
};

/// Canonical label -> first occurrence; merging keeps the earliest, so it is split-independent.
using LabelOccurrences = std::map<std::string, LabelOccurrence>;

/// Records the batch's labels with their dataset-wide first occurrences.
void note_labels(LabelOccurrences& seen, const Batch& batch, const BatchOrigin& origin);
void merge_labels(LabelOccurrences& into, const LabelOccurrences& from);

/// Sorted label order for every output: numbers by value first, then other strings bytewise.
bool label_less(const std::string& a, const std::string& b);

}  // namespace mqmon
