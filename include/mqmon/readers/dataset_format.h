#pragma once
/// The `dataset_format` parameter in every spelling the service and its SDK use.

#include <string>

namespace mqmon {

enum class FormatKind { kCsv, kJsonLines, kCaptureJson, kParquet };

struct DatasetFormat {
  FormatKind kind = FormatKind::kCsv;
  bool header = true;  ///< CSV: the first record of each file names the columns
  /// CSV: "START" or "END" (accepted for compatibility; attributes address columns by name or
  /// index, so it does not change which column is read).
  std::string output_columns_position = "START";
};

/// Parses e.g. {"csv": {"header": true}}, {"Csv": {"Header": true}}, {"json": {"lines": true}},
/// {"Json": {"Line": true}}, {"sagemakerCaptureJson": {}}, {"Parquet": {}}. Keys are matched
/// case-insensitively; booleans may be JSON booleans or the strings "true"/"false".
/// Throws ConfigError naming the offending part.
DatasetFormat parse_dataset_format(const std::string& json_text);

/// "csv", "json", "sagemakerCaptureJson" or "parquet".
const char* format_name(FormatKind kind);

}  // namespace mqmon
