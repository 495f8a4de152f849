#pragma once
/// RecordReader: splits a dataset into blocks at record boundaries (serially), and parses blocks
/// into Batches (in parallel, from any thread).

#include <cstdint>
#include <vector>

#include "mqmon/io/byte_source.h"
#include "mqmon/readers/batch.h"

namespace mqmon {

/// Whole records of one file.
struct Block {
  uint64_t index = 0;  ///< position in the dataset's sequence of blocks
  uint32_t file = 0;   ///< index into RecordReader::files()
  bool first_in_file = false;
  uint64_t first_line = 1;  ///< when first_in_file: line number of the block's first line
  /// Decoded byte offset of data[0] in its file (records are keyed by file name and offset, so
  /// their subsample does not depend on how a dataset is split).
  uint64_t offset = 0;
  std::vector<char> data;  ///< bytes of whole records (capacity may exceed size)
  size_t size = 0;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  /// Fills `block` with the next run of whole records; false at the end of the dataset.
  /// Called from one thread only. Throws IoError/ParseError for problems outside records
  /// (an unreadable file, a header without a requested attribute).
  virtual bool next_block(Block& block) = 0;
  /// Parses a block; thread-safe, never throws for bad data (reports it in the batch).
  virtual void parse_block(const Block& block, Batch& batch) const = 0;
  virtual const std::vector<InputFile>& files() const = 0;
  /// Lines of files()[file] before its first block (a ranged shard's first line is counted from
  /// its start; this is added to name the line in the file). Counted on first use.
  virtual uint64_t lines_before(uint32_t file) const { return (void)file, 0; }
  /// Raw bytes consumed so far and in all, for progress.
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const = 0;
};

}  // namespace mqmon
