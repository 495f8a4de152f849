// The only translation unit that includes simdjson.
#include "mqmon/readers/json_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/readers/csv_reader.h"
#include "mqmon/readers/json_path.h"
#include "mqmon/readers/row_builder.h"

namespace mqmon {

static_assert(kBlockPadding >= simdjson::SIMDJSON_PADDING, "blocks must carry simdjson's padding");

bool decode_base64(std::string_view in, std::string& out) {
  static constexpr auto kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    const int v = kTable[static_cast<unsigned char>(c)];
    if (v < 0 || pad) return false;  // a bad character, or data after padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  return pad <= 2;
}

JsonReader::JsonReader(std::vector<InputFile> files, JsonOptions options, AttributeSpec attributes)
    : splitter_(std::move(files), options.block_size, last_line_end),
      options_(options),
      attributes_(std::move(attributes)) {
  for (int s = 0; s < 3; ++s) {
    const std::string& a = attribute_of(attributes_, s);
    has_[s] = !a.empty();
    field_[s] = -1;
    if (!has_[s]) continue;
    int idx = -1;
    auto [ptr, ec] = std::from_chars(a.data(), a.data() + a.size(), idx);
    if (ec == std::errc() && ptr == a.data() + a.size() && idx >= 0) field_[s] = idx;
    pointer_[s] = json_pointer(a);
  }
  // Capture records carry their ground truth in groundTruthData; an attribute is optional there.
  if (options_.capture) has_[kGroundTruthSlot] = true;
}

JsonReader::~JsonReader() = default;

namespace {

/// Per-thread simdjson state: parsers for the record and for the two payloads it may hold, and
/// the storage RawValues point into.
struct ThreadState {
  simdjson::dom::parser record, output_payload, truth_payload, stream;
  std::string text[3];
  std::vector<double> numbers[3];
  std::string decoded[2];
  std::vector<std::string> fields[2];
};
thread_local ThreadState tls;

/// A RawValue for a simdjson element (storage in tls slot `s`).
RawValue raw_of(simdjson::dom::element el, int s) {
  using T = simdjson::dom::element_type;
  RawValue v;
  switch (el.type()) {
    case T::STRING:
      v.kind = RawValue::Kind::kText;
      v.text = el.get_string().value_unsafe();
      break;
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE: {
      // Integers keep every digit in their label text; other numbers their shortest form.
      v.kind = RawValue::Kind::kNumber;
      v.number = el.get_double().value_unsafe();
      tls.text[s] = el.type() == T::INT64    ? std::to_string(el.get_int64().value_unsafe())
                    : el.type() == T::UINT64 ? std::to_string(el.get_uint64().value_unsafe())
                                             : format_plain_double(v.number);
      v.text = tls.text[s];
      break;
    }
    case T::BOOL:
      v.kind = RawValue::Kind::kBool;
      v.boolean = el.get_bool().value_unsafe();
      break;
    case T::NULL_VALUE:
      v.kind = RawValue::Kind::kNull;
      break;
    case T::OBJECT:
      v.kind = RawValue::Kind::kObject;
      break;
    case T::ARRAY: {
      v.kind = RawValue::Kind::kArray;
      auto& nums = tls.numbers[s];
      nums.clear();
      bool all_numbers = true;
      simdjson::dom::array array;
      if (el.get_array().get(array) != simdjson::SUCCESS) break;
      for (simdjson::dom::element x : array) {
        double d;
        if (x.get_double().get(d) != simdjson::SUCCESS) {
          all_numbers = false;
          break;
        }
        nums.push_back(d);
      }
      v.numbers = all_numbers ? &nums : nullptr;
      break;
    }
  }
  return v;
}

/// A decoded endpoint payload: CSV fields or a parsed JSON document.
struct Payload {
  bool json = false;
  simdjson::dom::element root;
  const std::vector<std::string>* fields = nullptr;
};

/// Decodes {"data", "encoding", "observedContentType"} into `p`, or returns why it cannot.
std::optional<std::string> decode_payload(simdjson::dom::element event, int which,
                                          simdjson::dom::parser& parser, Payload& p) {
  std::string_view data, encoding, content_type;
  if (event["data"].get(data) != simdjson::SUCCESS) return "has no string 'data'";
  if (event["encoding"].get(encoding) != simdjson::SUCCESS) encoding = "CSV";
  if (event["observedContentType"].get(content_type) != simdjson::SUCCESS) content_type = {};
  bool json = false;
  if (encoding == "CSV") {
    json = false;
  } else if (encoding == "JSON") {
    json = true;
  } else if (encoding == "BASE64") {
    if (!decode_base64(data, tls.decoded[which])) return "holds invalid base64 data";
    data = tls.decoded[which];
    json = content_type.find("json") != std::string_view::npos;
  } else {
    return fmt::format("has unknown encoding '{}' (expected CSV, JSON or BASE64)", encoding);
  }
  p.json = json;
  if (json) {
    auto err = parser.parse(data.data(), data.size()).get(p.root);  // copies into padded memory
    if (err) return fmt::format("holds invalid JSON ({})", simdjson::error_message(err));
    return std::nullopt;
  }
  const char* q = data.data();
  const char* end = q + data.size();
  uint64_t newlines = 0;
  auto& fields = tls.fields[which];
  if (!split_csv_record(q, end, fields, newlines))
    return "holds a CSV record whose quoted field is not closed";
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) ++q;
  if (q != end)
    return "holds more than one CSV record (one inference per capture record is supported)";
  p.fields = &fields;
  return std::nullopt;
}

}  // namespace

namespace {

/// Parses a block's lines as one stream of documents (simdjson's parse_many: one structural
/// pass over a window of the block instead of one per line), calling
/// process(line text, line, error, root) for each record as it comes. Returns false when the
/// stream is not exactly one document per non-blank line (a line that is not valid JSON, two
/// documents on a line, one across lines, a document larger than the window): the caller then
/// clears the batch and reads the block line by line.
template <typename Process>
bool parse_lines_together(const Block& block, Batch& batch, Process& process) {
  constexpr size_t kWindow = 1 << 20;
  const char* const begin = block.data.data();
  const char* const end = begin + block.size;
  simdjson::dom::document_stream docs;
#ifdef SIMDJSON_THREADS_ENABLED
  tls.stream.threaded = false;  // the block's thread parses it; the other cores parse theirs
#endif
  if (tls.stream.parse_many(reinterpret_cast<const uint8_t*>(begin), block.size, kWindow).get(docs))
    return false;
  const char* line_start = begin;  // of the line after the last document
  uint64_t line = 0;
  for (auto it = docs.begin(); it != docs.end(); ++it) {
    simdjson::dom::element root;
    if ((*it).get(root)) return false;
    const char* at = begin + it.current_index();
    if (at < line_start) return false;  // a second document on a line
    // Blank lines before it.
    for (const char* nl; (nl = static_cast<const char*>(std::memchr(
                              line_start, '\n', static_cast<size_t>(at - line_start))));) {
      if (std::string_view(line_start, static_cast<size_t>(nl - line_start))
              .find_first_not_of(" \t\r") != std::string_view::npos)
        return false;  // text the stream skipped
      line_start = nl + 1;
      ++line;
    }
    if (std::string_view(line_start, static_cast<size_t>(at - line_start))
            .find_first_not_of(" \t\r") != std::string_view::npos)
      return false;
    const std::string_view source = it.source();
    const char* nl = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
    const char* stop = nl ? nl : end;
    if (at + source.size() > stop) return false;  // a document across lines
    // The document is valid while the stream stands on it: processed now.
    if (!process(std::string_view(line_start, static_cast<size_t>(stop - line_start)), line,
                 simdjson::SUCCESS, root))
      return true;  // a fatal problem, in a record the line reader would read the same
    line_start = nl ? nl + 1 : end;
    ++line;  // the line reader counts a last line without a line feed too
  }
  if (docs.truncated_bytes() > 0) return false;
  // What is left must be blank lines.
  for (const char* q = line_start; q < end; ++q) {
    if (*q == '\n')
      ++line;
    else if (*q != ' ' && *q != '\t' && *q != '\r')
      return false;
  }
  if (line_start < end && end[-1] != '\n') ++line;
  batch.lines = line;
  return true;
}

}  // namespace

void JsonReader::parse_block(const Block& block, Batch& batch) const {
  batch.clear();
  // One record: the values its attributes address in `root` (parsed from the line `text`, or
  // not, as `parse_error` says). False: a fatal problem stopped the block.
  auto process = [&](std::string_view text, uint64_t line, simdjson::error_code parse_error,
                     simdjson::dom::element root) {
    const uint64_t record = batch.records++;
    std::optional<RowProblem> problem;
    auto fail = [&](int slot, std::string reason, std::string shown) {
      if (!problem)
        problem = RowProblem{record,
                             line,
                             0,
                             slot >= 0 ? attribute_of(attributes_, slot) : std::string(),
                             std::move(reason),
                             std::move(shown)};
    };

    RawValue values[3];
    // A file holding one JSON array (pretty-printed, or on one line) is the usual mistake.
    const bool array_line = text[text.find_first_not_of(" \t\r")] == '[';
    const char* kArrayReason =
        "this is a JSON array, not JSON Lines (one object per line); convert the file with "
        "jq -c '.[]'";
    if (parse_error) {
      if (array_line)
        fail(-1, kArrayReason, std::string(text));
      else
        fail(-1, fmt::format("invalid JSON ({})", simdjson::error_message(parse_error)),
             std::string(text));
    } else if (!options_.capture) {
      for (int s = 0; s < 3; ++s) {
        if (!has_[s]) continue;
        simdjson::dom::element el;
        if (root.at_pointer(pointer_[s]).get(el) != simdjson::SUCCESS) {
          fail(array_line ? -1 : s, array_line ? kArrayReason : "not found in the record",
               std::string(text));
          break;
        }
        values[s] = raw_of(el, s);
      }
    } else {
      simdjson::dom::element output, truth;
      Payload out_payload, truth_payload;
      if (root.at_pointer("/captureData/endpointOutput").get(output) != simdjson::SUCCESS) {
        fail(-1, "not a data-capture record: no captureData.endpointOutput", std::string(text));
      } else if (auto why = decode_payload(output, 0, tls.output_payload, out_payload)) {
        fail(-1, "the endpoint output " + *why, std::string(text));
      } else if (root["groundTruthData"].get(truth) != simdjson::SUCCESS &&
                 root.at_pointer("/captureData/groundTruthData").get(truth) != simdjson::SUCCESS) {
        fail(kGroundTruthSlot,
             "the capture record has no groundTruthData (merge the ground truth in first)",
             std::string(text));
      } else if (auto why = decode_payload(truth, 1, tls.truth_payload, truth_payload)) {
        fail(kGroundTruthSlot, "the groundTruthData " + *why, std::string(text));
      } else {
        for (int s = 0; s < 3 && !problem; ++s) {
          if (!has_[s]) continue;
          const Payload& pl = s == kGroundTruthSlot ? truth_payload : out_payload;
          const bool whole = s == kGroundTruthSlot && attributes_.ground_truth.empty();
          if (pl.json) {
            // A scalar payload ("0.7") is its own first field, as the same output in CSV would be.
            const bool scalar = !pl.root.is_array() && !pl.root.is_object();
            simdjson::dom::element el;
            if (scalar && field_[s] == 0)
              values[s] = raw_of(pl.root, s);
            else if (pl.root.at_pointer(whole ? "" : pointer_[s]).get(el) != simdjson::SUCCESS)
              fail(s, "not found in the payload", std::string(text));
            else
              values[s] = raw_of(el, s);
          } else if (whole) {
            values[s] = RawValue::of_text(pl.fields->size() == 1 ? std::string_view((*pl.fields)[0])
                                                                 : std::string_view());
            if (pl.fields->size() != 1)
              fail(s,
                   fmt::format("groundTruthData holds {} CSV fields; give --ground-truth-attribute",
                               pl.fields->size()),
                   std::string(text));
          } else if (field_[s] < 0) {
            fail(s, "a CSV payload is addressed by a 0-based field index", std::string(text));
          } else if (static_cast<size_t>(field_[s]) >= pl.fields->size()) {
            fail(s,
                 fmt::format("the CSV payload has {} field{}", pl.fields->size(),
                             pl.fields->size() == 1 ? "" : "s"),
                 std::string(text));
          } else {
            values[s] = RawValue::of_text((*pl.fields)[static_cast<size_t>(field_[s])]);
          }
        }
      }
    }
    if (!problem) {
      if (auto bad =
              append_row(attributes_, batch, static_cast<uint64_t>(text.data() - block.data.data()),
                         line, values)) {
        std::string shown = bad->text;
        problem =
            RowProblem{record, line, 0, attribute_of(attributes_, bad->slot), bad->reason, shown};
      }
    }
    if (problem) {
      if (!options_.skip_bad_rows) {
        batch.error = std::move(problem);
        batch.lines = line + 1;
        return false;
      }
      batch.skipped.push_back(std::move(*problem));
    }
    return true;
  };

  const char* const begin = block.data.data();
  const char* const end = begin + block.size;
  if (options_.stream && parse_lines_together(block, batch, process)) return;

  // Line by line: the reference, and the way for blocks the stream parser refuses.
  batch.clear();
  uint64_t line = 0;
  for (const char* p = begin; p < end; ++line) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = nl ? nl : end;
    const std::string_view text(p, static_cast<size_t>(stop - p));
    p = nl ? nl + 1 : end;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line
    simdjson::dom::element root;
    const auto err = tls.record.parse(text.data(), text.size(), false).get(root);
    if (!process(text, line, err, root)) return;
  }
  batch.lines = line;
}

}  // namespace mqmon
