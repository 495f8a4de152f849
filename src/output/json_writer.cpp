#include "mqmon/output/json_writer.h"

#include <fmt/format.h>

#include <cassert>
#include <cmath>

#include "mqmon/common/numbers.h"

namespace mqmon {

void JsonWriter::newline_indent() {
  // Like Jackson's pretty printer, arrays are inline and do not deepen the indentation.
  out_ += '\n';
  for (const Level& l : stack_)
    if (!l.array) out_ += "  ";
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Level& l = stack_.back();
  assert(l.array && "object members need a key");
  out_ += l.empty ? " " : ", ";
  l.empty = false;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  assert(!stack_.empty() && !stack_.back().array);
  Level& l = stack_.back();
  if (!l.empty) out_ += ',';
  l.empty = false;
  newline_indent();
  write_string(k);
  out_ += " : ";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  stack_.push_back({false, true});
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (empty) {
    out_ += " }";
  } else {
    newline_indent();
    out_ += '}';
  }
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  stack_.push_back({true, true});
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  stack_.pop_back();
  out_ += " ]";  // "[ ]" when empty, as Jackson writes it
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  before_value();
  if (std::isnan(v))
    write_string("NaN");
  else if (std::isinf(v))
    write_string(v > 0 ? "Infinity" : "-Infinity");
  else
    out_ += format_json_double(v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  before_value();
  out_ += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  before_value();
  out_ += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  before_value();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  write_string(s);
  return *this;
}

JsonWriter& JsonWriter::value(const std::vector<double>& numbers) {
  begin_array();
  for (double v : numbers) value(v);
  return end_array();
}

namespace {

void append_json_string(std::string& out_, std::string_view s) {
  out_ += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      default:
        if (c < 0x20)
          out_ += fmt::format("\\u{:04x}", c);
        else
          out_ += static_cast<char>(c);
    }
  }
  out_ += '"';
}

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

void JsonWriter::write_string(std::string_view s) { append_json_string(out_, s); }

std::string JsonWriter::finish() {
  assert(stack_.empty());
  out_ += '\n';
  return std::move(out_);
}

}  // namespace mqmon
