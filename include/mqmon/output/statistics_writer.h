#pragma once
/// statistics.json in the service's layout.

#include <cstdint>
#include <string>

#include "mqmon/metrics/binary.h"
#include "mqmon/metrics/multiclass.h"
#include "mqmon/metrics/regression.h"

namespace mqmon {

/// The `dataset` block.
struct DatasetInfo {
  uint64_t item_count = 0;
  std::string evaluation_time;  ///< ISO-8601 UTC with milliseconds, e.g. 2023-03-30T21:08:34.729Z
  uint64_t skipped_item_count = 0;  ///< bad rows skipped; written only when non-zero
};

/// The current time in the `evaluation_time` format.
std::string utc_now_iso8601();

std::string write_binary_statistics(const BinaryStatistics& stats, const DatasetInfo& dataset);
std::string write_multiclass_statistics(const MulticlassStatistics& stats,
                                        const DatasetInfo& dataset);
std::string write_regression_statistics(const RegressionStatistics& stats,
                                        const DatasetInfo& dataset);

}  // namespace mqmon
