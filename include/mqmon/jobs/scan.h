#pragma once
/// The one pipeline's driver: a RecordReader's blocks are parsed on all cores, each worker feeds
/// its own Accumulator, and the states are merged at the end. Bad records fail the scan with
/// their location (the first one in file order, whatever the thread timing) or are skipped and
/// counted within the user's limit.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mqmon/metrics/accumulator.h"
#include "mqmon/readers/dataset_format.h"
#include "mqmon/readers/record_reader.h"

namespace mqmon {

/// --max-bad-rows: a count ("100") or a percentage of the records ("0.5%"); 0 = none allowed.
struct BadRowLimit {
  uint64_t count = 0;
  double fraction = -1;  ///< >= 0 when given as a percentage
  bool allows_any() const { return count > 0 || fraction > 0; }
  /// Throws ConfigError for anything but a non-negative integer or a percentage in [0, 100].
  static BadRowLimit parse(const std::string& text);
};

struct ScanOptions {
  unsigned threads = 0;  ///< 0: all cores
  BadRowLimit max_bad_rows;
  bool progress = false;              ///< print bytes and rows/s on stderr during long reads
  double progress_after_seconds = 2;  ///< quiet for reads shorter than this
};

struct ScanResult {
  uint64_t records = 0;  ///< records read, skipped ones included
  uint64_t skipped = 0;  ///< bad records skipped
  uint64_t dropped = 0;  ///< records a record_preprocessor_script dropped (not in `records`)
  std::vector<std::string> skipped_examples;  ///< the first few, located
};

/// Opens the reader for some files of a dataset (whole, or byte ranges of plain files).
std::unique_ptr<RecordReader> open_files(std::vector<InputFile> files, const DatasetFormat& format,
                                         const AttributeSpec& attributes, size_t block_size,
                                         bool skip_bad_rows);

/// Opens the reader for a dataset path and format. Throws ConfigError for formats not supported
/// yet, IoError for a missing dataset.
std::unique_ptr<RecordReader> open_dataset(const std::string& path, const DatasetFormat& format,
                                           const AttributeSpec& attributes, size_t block_size,
                                           bool skip_bad_rows);

using AccumulatorFactory = std::function<std::unique_ptr<Accumulator>()>;

/// Reads the whole dataset into one merged accumulator. Throws ParseError for the first bad
/// record in file order (unless skipping is allowed and the limit holds).
std::unique_ptr<Accumulator> scan(RecordReader& reader, const AccumulatorFactory& make,
                                  const ScanOptions& options, ScanResult& result);

}  // namespace mqmon
