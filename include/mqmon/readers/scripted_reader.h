#pragma once
/// Records reshaped by a record_preprocessor_script: each CSV or JSON Lines line (as a str) or
/// data-capture record (as the service's inference_record) goes to the script's
/// preprocess_handler in a worker process, and what it returns — a flat dict, a list of dicts, or
/// [] to drop the record — becomes the rows. An attribute is looked up among the returned keys:
///   1. as given;
///   2. in a dict whose keys are all digit strings ("00000000000000000001"), by position: the
///      attribute's index, or the position of the CSV header column it names;
///   3. as the service's flattened names: `endpointOutput_<attribute>` for the inference and
///      probability, `groundTruthData_<attribute>` (and `groundTruthData_0`) for the ground truth.
/// A capture record's ground truth is the one the handler returns; else, when the row sets
/// `inferenceId`, the label filed under that id (one request split into several predictions);
/// else the merged one. A row with none is left out and counted with the dropped records, as an
/// inference without ground truth is.

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mqmon/readers/block_splitter.h"
#include "mqmon/readers/dataset_format.h"
#include "mqmon/readers/record_reader.h"
#include "mqmon/script/pool.h"

namespace mqmon {

class ScriptedReader final : public RecordReader {
 public:
  ScriptedReader(std::vector<InputFile> files, const DatasetFormat& format,
                 AttributeSpec attributes, size_t block_size, bool skip_bad_rows,
                 const ScriptPool& pool,
                 std::unordered_map<std::string, std::string> labels_by_id = {});

  bool next_block(Block& block) override { return splitter_.next(block); }
  void parse_block(const Block& block, Batch& batch) const override;
  const std::vector<InputFile>& files() const override { return splitter_.files(); }
  uint64_t lines_before(uint32_t file) const override { return splitter_.lines_before(file); }
  uint64_t bytes_read() const override { return splitter_.bytes_read(); }
  uint64_t total_bytes() const override { return splitter_.total_bytes(); }

 private:
  std::optional<size_t> read_header(uint32_t file, std::string_view head, bool whole);

  DatasetFormat format_;
  AttributeSpec attributes_;
  bool skip_bad_rows_;
  const ScriptPool& pool_;
  BlockSplitter splitter_;
  std::vector<std::vector<std::string>> header_;  ///< per file: CSV column names
  std::unordered_map<std::string, std::string> labels_by_id_;
};

}  // namespace mqmon
