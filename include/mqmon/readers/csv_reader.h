#pragma once
/// CSV datasets (RFC 4180): quoted fields with commas, doubled quotes and line breaks, CRLF or LF,
/// spaces around fields, a UTF-8 BOM, a missing final newline, blank lines (ignored). Every record
/// has as many fields as the header (without a header: as the file's first record); one with more
/// or fewer is a bad record, since a stray delimiter shifts the values into other columns.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqmon/readers/block_splitter.h"
#include "mqmon/readers/record_reader.h"

namespace mqmon {

struct CsvOptions {
  bool header = true;
  size_t block_size = 4u << 20;  ///< target bytes per block
  bool skip_bad_rows = false;    ///< report bad rows in Batch::skipped instead of stopping
  /// Find fields with the vector structural index (csv_scan.h); false: the scalar reader alone,
  /// the reference the tests compare the fast path with.
  bool simd = true;
};

class CsvReader final : public RecordReader {
 public:
  /// Attributes are column names with a header, else 0-based column indices ("0", "2").
  CsvReader(std::vector<InputFile> files, CsvOptions options, AttributeSpec attributes);
  ~CsvReader() override;

  bool next_block(Block& block) override;
  void parse_block(const Block& block, Batch& batch) const override;
  const std::vector<InputFile>& files() const override { return splitter_.files(); }
  uint64_t lines_before(uint32_t file) const override { return splitter_.lines_before(file); }
  uint64_t bytes_read() const override { return splitter_.bytes_read(); }
  uint64_t total_bytes() const override { return splitter_.total_bytes(); }

  /// Column indices of the attributes in one file (-1: not read).
  struct Columns {
    int ground_truth = -1, inference = -1, probability = -1;
    int fields = 0;  ///< fields of every record: the header's, or the first record's (0: unknown)
  };

 private:
  std::optional<size_t> read_header(uint32_t file, std::string_view head, bool whole,
                                    uint64_t& lines);
  Columns resolve_header(uint32_t file, const std::vector<std::string>& names,
                         uint64_t header_line) const;
  Columns resolve_indices() const;

  BlockSplitter splitter_;
  CsvOptions options_;
  AttributeSpec attributes_;
  std::vector<Columns> columns_;  // per file, written before the file's first block is handed out
};

/// The end of the last complete CSV record in [p, p + n), given that p starts a record (0 when
/// none): after the last line break outside quotes.
size_t last_record_end(const char* p, size_t n);

/// Splits one CSV record from [p, end) into fields (exposed for tests and the header).
/// Returns false when a quoted field is not closed.
bool split_csv_record(const char*& p, const char* end, std::vector<std::string>& fields,
                      uint64_t& newlines);

/// Throws ConfigError when a header names a column twice (naming it, both 1-based positions, the
/// file and line): an attribute naming it could read the wrong one.
void check_unique_names(const std::vector<std::string>& names, const std::string& path,
                        uint64_t line);

}  // namespace mqmon
