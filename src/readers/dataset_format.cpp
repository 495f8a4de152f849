#include "mqmon/readers/dataset_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "mqmon/common/error.h"

namespace mqmon {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool as_bool(const nlohmann::json& v, const std::string& what) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const auto s = lower(v.get<std::string>());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  throw ConfigError(
      fmt::format("dataset format: '{}' must be true or false, not {}", what, v.dump()));
}

}  // namespace

const char* format_name(FormatKind kind) {
  switch (kind) {
    case FormatKind::kCsv:
      return "csv";
    case FormatKind::kJsonLines:
      return "json";
    case FormatKind::kCaptureJson:
      return "sagemakerCaptureJson";
    case FormatKind::kParquet:
      return "parquet";
  }
  return "?";
}

DatasetFormat parse_dataset_format(const std::string& json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {  // syntax, or a number out of range
    throw ConfigError(
        fmt::format("dataset format '{}' is not valid JSON: {}", json_text, e.what()));
  }
  if (!doc.is_object() || doc.size() != 1)
    throw ConfigError(fmt::format(
        "dataset format '{}' must be an object with one key: csv, json, sagemakerCaptureJson or "
        "parquet (e.g. {{\"csv\": {{\"header\": true}}}})",
        json_text));
  const auto first = doc.begin();
  const std::string name = first.key();
  const nlohmann::json& body = first.value();
  if (!body.is_object() && !body.is_null())
    throw ConfigError(
        fmt::format("dataset format '{}': the value of '{}' must be an object", json_text, name));
  DatasetFormat f;
  const std::string kind = lower(name);
  if (kind == "csv") {
    f.kind = FormatKind::kCsv;
    if (body.is_object()) {
      for (const auto& [k, v] : body.items()) {
        const auto key = lower(k);
        if (key == "header") {
          f.header = as_bool(v, k);
        } else if (key == "output_columns_position" || key == "outputcolumnsposition") {
          const auto pos = v.is_string() ? v.get<std::string>() : std::string();
          if (pos != "START" && pos != "END")
            throw ConfigError(fmt::format(
                "dataset format: '{}' must be \"START\" or \"END\", not {}", k, v.dump()));
          f.output_columns_position = pos;
        } else {
          throw ConfigError(fmt::format(
              "dataset format: unknown csv option '{}' (known: header, output_columns_position)",
              k));
        }
      }
    }
  } else if (kind == "json") {
    f.kind = FormatKind::kJsonLines;
    if (body.is_object()) {
      for (const auto& [k, v] : body.items()) {
        const auto key = lower(k);
        if (key != "lines" && key != "line")
          throw ConfigError(
              fmt::format("dataset format: unknown json option '{}' (known: lines)", k));
        if (!as_bool(v, k))
          throw ConfigError(
              "dataset format: only JSON Lines (\"lines\": true) is supported for json");
      }
    }
  } else if (kind == "sagemakercapturejson") {
    f.kind = FormatKind::kCaptureJson;
  } else if (kind == "parquet") {
    f.kind = FormatKind::kParquet;
  } else {
    throw ConfigError(
        fmt::format("dataset format '{}': unknown format '{}' (known: csv, json, "
                    "sagemakerCaptureJson, parquet)",
                    json_text, name));
  }
  return f;
}

}  // namespace mqmon
