#pragma once
/// JSON Lines datasets (one object per line, attributes are JSONPaths) and SageMaker data-capture
/// JSON Lines (attributes address the endpoint output payload: CSV fields by 0-based index, JSON by
/// JSONPath; payloads in CSV, JSON or BASE64 encoding; the ground truth from the merged
/// groundTruthData). Parsed with simdjson.

#include <string>
#include <vector>

#include "mqmon/readers/block_splitter.h"
#include "mqmon/readers/record_reader.h"

namespace mqmon {

struct JsonOptions {
  size_t block_size = 4u << 20;
  bool skip_bad_rows = false;
  bool capture = false;  ///< records are data-capture records
  /// Parse each block's lines as one stream of documents; false: line by line only, the
  /// reference the tests compare the stream with.
  bool stream = true;
};

class JsonReader final : public RecordReader {
 public:
  /// Throws ConfigError for a malformed JSONPath.
  JsonReader(std::vector<InputFile> files, JsonOptions options, AttributeSpec attributes);
  ~JsonReader() override;

  bool next_block(Block& block) override { return splitter_.next(block); }
  void parse_block(const Block& block, Batch& batch) const override;
  const std::vector<InputFile>& files() const override { return splitter_.files(); }
  uint64_t lines_before(uint32_t file) const override { return splitter_.lines_before(file); }
  uint64_t bytes_read() const override { return splitter_.bytes_read(); }
  uint64_t total_bytes() const override { return splitter_.total_bytes(); }

 private:
  BlockSplitter splitter_;
  JsonOptions options_;
  AttributeSpec attributes_;
  std::string pointer_[3];  // JSON Pointer per attribute slot ("" = the whole value)
  int field_[3];            // capture: 0-based CSV field per slot, -1 when not an index
  bool has_[3];             // the slot's attribute is read
};

/// Decodes standard base64 (RFC 4648, padding optional, whitespace ignored); false when invalid.
bool decode_base64(std::string_view in, std::string& out);

}  // namespace mqmon
