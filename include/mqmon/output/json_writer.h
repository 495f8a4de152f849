#pragma once
/// A streaming JSON writer in the layout the service's files use (Jackson's default pretty
/// printer): 2-space indent, `"key" : value`, number arrays on one line `[ 0.0, 0.25 ]`, empty
/// containers as `{ }`/`[ ]`, doubles in shortest round-trip digits without exponent and with
/// ".0" on integral values, NaN as the string "NaN". nlohmann/json cannot produce this layout,
/// hence this small writer.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mqmon {

/// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  /// The key of the next value in the current object.
  JsonWriter& key(std::string_view k);
  JsonWriter& value(double v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  /// A number array on one line.
  JsonWriter& value(const std::vector<double>& numbers);

  /// The document, with a final newline.
  std::string finish();

 private:
  void before_value();
  void newline_indent();
  void write_string(std::string_view s);

  struct Level {
    bool array = false;
    bool empty = true;
  };
  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace mqmon
