#pragma once
/// Partial results: the mergeable state of one shard of a dataset, in a versioned binary file
/// (.mqp) that travels between machines. Any engine (Dask, Spark, Slurm array jobs, AWS Batch)
/// computes one partial per shard, merges them in any order or tree, and finalizes once; the
/// result equals the single-process one byte for byte, because every row's subsample key comes
/// from its file's name and byte offset and every state is made of exact counts and sums.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mqmon/constraints/suggest.h"
#include "mqmon/jobs/evaluate.h"

namespace mqmon {

/// Which part of a dataset a partial covers.
struct ShardSpec {
  uint32_t index = 0, count = 1;  ///< --shard i/N: the i-th of N shards (0-based)
  bool byte_range = false;        ///< --byte-range A:B: bytes [begin, end) of a one-file dataset
  uint64_t begin = 0, end = UINT64_MAX;
  /// "i/N" with 0 <= i < N. Throws ConfigError.
  static ShardSpec parse_shard(const std::string& text);
  /// "A:B" (B empty: to the end). Throws ConfigError.
  static ShardSpec parse_byte_range(const std::string& text);
};

/// Part of a dataset a partial covers: file `file` of the listing (by its name and size), bytes
/// [begin, end) as the shard asked for them (records belong to the range holding their first
/// byte, after the rule of align_to_record). In-memory rows: file kRows, rows [begin, end).
struct Piece {
  static constexpr uint32_t kRows = UINT32_MAX;
  uint32_t file = 0;
  std::string name;
  uint64_t size = 0, begin = 0, end = 0;
};

/// The files to read for shard `shard` of a dataset listing, and the pieces they cover. The N
/// shards of --shard split the listing's bytes (all files end to end) into N equal runs; a plain
/// file is cut where a run ends, a compressed file goes whole to the run holding its first byte.
struct ShardPlan {
  std::vector<Piece> pieces;
  std::vector<InputFile> files;  ///< ranges aligned to records; empty ranges left out
};
ShardPlan plan_shard(const std::vector<InputFile>& listing, const ShardSpec& shard);

struct PartialResult {
  EvaluationSpec evaluation;  ///< the options every partial of a job shares
  SuggestOptions suggest;
  uint64_t listing_digest = 0;  ///< names and sizes of the dataset's files
  uint32_t listing_files = 0;
  std::vector<Piece> pieces;
  ScanResult scanned;
  std::unique_ptr<Accumulator> state;
};

/// The partial of one shard of a dataset (read with the spec's options). Throws Error subclasses.
PartialResult compute_partial(const std::string& dataset, const ShardSpec& shard,
                              const EvaluationSpec& spec, const SuggestOptions& suggest);

/// The partial of in-memory rows first_row .. first_row + rows - 1 of a table.
PartialResult partial_of_columns(const MemoryColumns& columns, const EvaluationSpec& spec,
                                 const SuggestOptions& suggest);

/// The .mqp bytes (little-endian): magic "MQMONPRT", format version (u32), flags (u32; 1: the body
/// is zstd-compressed), body length and stored length (u64), the stored body (options, dataset
/// listing, pieces, scan counts, state), CRC-32 of all before it (u32).
constexpr uint32_t kPartialFormatVersion = 1;
std::string encode_partial(const PartialResult& partial);
/// Throws DataError naming `name` and what is wrong: not a partial, a format version this mqmon
/// does not read, truncated, damaged (checksum).
PartialResult decode_partial(const std::string& bytes, const std::string& name);

/// Adds `other` (named `other_name` in errors) into `into`. Throws ConfigError when the options
/// or the dataset differ (naming the first option that differs), DataError when a piece of the
/// dataset is in both.
void merge_partial(PartialResult& into, PartialResult other, const std::string& other_name);

/// The merge of the partials named `names`, whose bytes `bytes_of(i)` gives, decoded one at a
/// time (memory holds the merged state and the partial being added). Throws as decode_partial
/// and merge_partial do, and ConfigError for none.
PartialResult merge_encoded(const std::vector<std::string>& names,
                            const std::function<std::string(size_t)>& bytes_of);

/// The statistics of a merged partial that covers its whole dataset (every file, every byte, or
/// rows 0..n-1 without a gap): throws DataError naming what is missing, and applies the bad-row
/// limit to the totals.
Evaluation finalize_partial(const PartialResult& partial);

}  // namespace mqmon
