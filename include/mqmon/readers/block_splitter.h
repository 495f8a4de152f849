#pragma once
/// The serial half of every RecordReader: reads a dataset's files in order through their
/// decoders and cuts the bytes into blocks of whole records, never splitting a record.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "mqmon/io/byte_source.h"
#include "mqmon/readers/record_reader.h"

namespace mqmon {

/// Readable bytes after every block's end, so parsers that read ahead (simdjson) may run to it.
constexpr size_t kBlockPadding = 64;
/// The longest record (or header) read: memory stays bounded whatever a file holds.
constexpr size_t kMaxRecordBytes = size_t{256} << 20;

class BlockSplitter {
 public:
  /// The end of the last complete record in [p, p + n), given that p starts a record; 0 if none.
  using RecordEnd = size_t (*)(const char* p, size_t n);
  /// Called at the start of each file with its first bytes (a UTF-8 BOM removed) and whether they
  /// are the whole file. Returns how many bytes it consumed (a header) and adds the lines they
  /// hold to `lines`, or nullopt to be called again with more bytes.
  using FileStart = std::function<std::optional<size_t>(uint32_t file, std::string_view head,
                                                        bool whole, uint64_t& lines)>;

  BlockSplitter(std::vector<InputFile> files, size_t block_size, RecordEnd record_end,
                FileStart on_file_start = {});

  /// Throws DataError when a ranged shard's bytes do not end on a record boundary (a CSV quoted
  /// field holding a line break was cut).
  bool next(Block& block);
  uint64_t lines_before(uint32_t file) const;
  const std::vector<InputFile>& files() const { return opener_.files(); }
  uint64_t bytes_read() const { return bytes_done_ + (stream_ ? stream_->raw_bytes_read() : 0); }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  bool open_next_file();
  /// Reads the current stream's first bytes: drops a BOM, hands the header to on_file_start
  /// (consuming it unless `header_only`, when the stream is the head of a ranged shard's file).
  void read_file_start(bool header_only);
  /// Throws the ParseError for a record longer than kMaxRecordBytes at the current offset.
  [[noreturn]] void record_too_long() const;
  void fill(size_t want);
  void close_stream();

  SequentialOpener opener_;
  size_t block_size_;
  RecordEnd record_end_;
  FileStart on_file_start_;
  uint64_t total_bytes_ = 0, bytes_done_ = 0;
  size_t next_file_ = 0;
  uint32_t current_file_ = 0;
  std::unique_ptr<ByteStream> stream_;
  bool eof_ = false;
  std::vector<char> carry_;
  size_t carry_size_ = 0;
  bool pending_first_ = false;
  uint64_t first_line_ = 1;
  uint64_t next_index_ = 0;
  uint64_t offset_ = 0;  // decoded offset of carry_[0] in the current file
  mutable std::mutex lines_mutex_;
  mutable std::map<uint32_t, uint64_t> lines_before_;
};

/// RecordEnd for formats whose records are lines (JSON Lines): after the last '\n'.
size_t last_line_end(const char* p, size_t n);

}  // namespace mqmon
