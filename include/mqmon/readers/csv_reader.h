#pragma once
/// CSV datasets (RFC 4180): quoted fields with commas, doubled quotes and line breaks, CRLF or LF,
/// spaces around fields, a UTF-8 BOM, a missing final newline, blank lines (ignored).

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "mqmon/readers/record_reader.h"

namespace mqmon {

struct CsvOptions {
  bool header = true;
  size_t block_size = 4u << 20;  ///< target bytes per block
  bool skip_bad_rows = false;    ///< report bad rows in Batch::skipped instead of stopping
};

class CsvReader final : public RecordReader {
 public:
  /// Attributes are column names with a header, else 0-based column indices ("0", "2").
  CsvReader(std::vector<InputFile> files, CsvOptions options, AttributeSpec attributes);
  ~CsvReader() override;

  bool next_block(Block& block) override;
  void parse_block(const Block& block, Batch& batch) const override;
  const std::vector<InputFile>& files() const override { return files_; }
  uint64_t bytes_read() const override {
    return bytes_done_ + (stream_ ? stream_->raw_bytes_read() : 0);
  }
  uint64_t total_bytes() const override { return total_bytes_; }

  /// Column indices of the attributes in one file (-1: not read).
  struct Columns {
    int ground_truth = -1, inference = -1, probability = -1;
  };

 private:
  bool open_next_file();
  size_t fill(std::vector<char>& buf, size_t& size, size_t want);
  Columns resolve_header(const std::vector<std::string>& names, uint64_t header_line) const;
  Columns resolve_indices() const;

  std::vector<InputFile> files_;
  CsvOptions options_;
  AttributeSpec attributes_;
  std::vector<Columns> columns_;  // per file, written before the file's first block is handed out
  uint64_t total_bytes_ = 0;
  uint64_t bytes_done_ = 0;

  // Serial splitter state.
  size_t next_file_ = 0;
  uint32_t current_file_ = 0;
  std::unique_ptr<ByteStream> stream_;
  bool stream_eof_ = false;
  std::vector<char> carry_;
  size_t carry_size_ = 0;
  bool pending_first_ = false;
  uint64_t first_line_ = 1;
  uint64_t next_index_ = 0;
};

/// Splits one CSV record from [p, end) into fields (exposed for tests and the header).
/// Returns false when a quoted field is not closed.
bool split_csv_record(const char*& p, const char* end, std::vector<std::string>& fields,
                      uint64_t& newlines);

}  // namespace mqmon
