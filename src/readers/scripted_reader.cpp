#include "mqmon/readers/scripted_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "mqmon/readers/csv_reader.h"
#include "mqmon/readers/row_builder.h"

namespace mqmon {

namespace {

/// A returned row's fields.
struct Row {
  const script::Field* begin;
  const script::Field* end;
};

/// The key the worker adds to each row of a capture record for its merged ground truth (it adds
/// the record's id as __mqmon_event_id too; rows are looked up by their own keys).
constexpr std::string_view kMergedTruth = "__mqmon_ground_truth";

/// A column index for an attribute the header names twice.
constexpr long kAmbiguous = -2;

const std::string_view* find_key(const Row& row, std::string_view key) {
  for (const auto* f = row.begin; f != row.end; ++f)
    if (f->first == key) return &f->second;
  return nullptr;
}

/// Rule 2: the column indices of a positional dict's keys (empty when a key is not all digits).
void positions(const Row& row, std::vector<long>& out) {
  out.clear();
  for (const auto* f = row.begin; f != row.end; ++f) {
    const std::string_view k = f->first;
    long i = -1;
    if (k.substr(0, 8) == "__mqmon_") {
      out.push_back(-1);
      continue;
    }
    const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), i);
    if (k.empty() || ec != std::errc() || end != k.data() + k.size() || k[0] == '-' ||
        k[0] == '+') {
      out.clear();
      return;
    }
    out.push_back(i);
  }
}

const std::string_view* positional(const Row& row, const std::vector<long>& at, long index) {
  if (index < 0 || at.empty()) return nullptr;
  for (size_t k = 0; k < at.size(); ++k)
    if (at[k] == index) return &row.begin[k].second;
  return nullptr;
}

std::string key_list(const Row& row) {
  std::string out;
  for (const auto* f = row.begin; f != row.end; ++f) {
    const std::string_view k = f->first;
    if (k.substr(0, 8) == "__mqmon_") continue;
    out += fmt::format("{}'{}'", out.empty() ? "" : ", ", k);
    if (out.size() > 200) return out + ", ...";
  }
  return out.empty() ? "none" : out;
}

}  // namespace

ScriptedReader::ScriptedReader(std::vector<InputFile> files, const DatasetFormat& format,
                               AttributeSpec attributes, size_t block_size, bool skip_bad_rows,
                               const ScriptPool& pool,
                               std::unordered_map<std::string, std::string> labels_by_id)
    : format_(format),
      attributes_(std::move(attributes)),
      skip_bad_rows_(skip_bad_rows),
      pool_(pool),
      splitter_(std::move(files), block_size,
                format.kind == FormatKind::kCsv ? last_record_end : last_line_end,
                [this](uint32_t file, std::string_view head, bool whole, uint64_t&) {
                  return read_header(file, head, whole);
                }),
      header_(splitter_.files().size()),
      labels_by_id_(std::move(labels_by_id)) {}

std::optional<size_t> ScriptedReader::read_header(uint32_t file, std::string_view head,
                                                  bool whole) {
  // The header names the columns of positional dicts; the handler still gets the line (the
  // service's scripts drop it themselves).
  if (format_.kind != FormatKind::kCsv || !format_.header) return 0;
  size_t skip = head.find_first_not_of(" \t\r\n");
  if (skip == std::string_view::npos) return whole ? std::optional<size_t>(0) : std::nullopt;
  if (!whole && last_record_end(head.data() + skip, head.size() - skip) == 0) return std::nullopt;
  const char* p = head.data() + skip;
  uint64_t newlines = 0;
  split_csv_record(p, head.data() + head.size(), header_[file], newlines);
  return 0;
}

void ScriptedReader::parse_block(const Block& block, Batch& batch) const {
  batch.clear();
  // The block's records: lines, or CSV records (a quoted field may hold line breaks).
  struct Source {
    std::string_view text;
    uint64_t line;
  };
  std::vector<Source> sources;
  const char* p = block.data.data();
  const char* const end = p + block.size;
  uint64_t line = 0;
  const bool csv = format_.kind == FormatKind::kCsv;
  while (p < end) {
    const char* start = p;
    const uint64_t first = line;
    bool quoted = false;
    while (p < end && (quoted || *p != '\n')) {
      if (csv && *p == '"') quoted = !quoted;
      if (*p == '\n') ++line;
      ++p;
    }
    std::string_view text(start, static_cast<size_t>(p - start));
    if (p < end) {
      ++p;
      ++line;
    }
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    sources.push_back({text, first});
  }
  batch.lines = line;
  if (sources.empty()) return;
  std::vector<std::string_view> texts;
  texts.reserve(sources.size());
  for (const auto& s : sources) texts.push_back(s.text);
  thread_local script::Results results;  // its buffers keep their size from block to block
  pool_.run(texts, results);

  const std::vector<std::string>& names = header_[block.file];
  const std::string* wanted[3] = {&attributes_.ground_truth, &attributes_.inference,
                                  &attributes_.probability};
  auto index_of = [&](const std::string& attribute) -> long {
    long i = -1;
    const auto [q, ec] = std::from_chars(attribute.data(), attribute.data() + attribute.size(), i);
    if (ec == std::errc() && q == attribute.data() + attribute.size()) return i;
    const auto it = std::find(names.begin(), names.end(), attribute);
    if (it == names.end()) return -1;
    // A name the header gives twice: a positional dict's column by it is ambiguous.
    if (std::find(it + 1, names.end(), attribute) != names.end()) return kAmbiguous;
    return static_cast<long>(it - names.begin());
  };
  // Each attribute's column index, for positional dicts.
  long index[3];
  for (int s = 0; s < 3; ++s) index[s] = wanted[s]->empty() ? -1 : index_of(*wanted[s]);
  std::string prefixed[3];
  for (int s = 0; s < 3; ++s)
    prefixed[s] = (s == kGroundTruthSlot ? "groundTruthData_" : "endpointOutput_") +
                  (wanted[s]->empty() ? std::string("0") : *wanted[s]);
  std::string_view label_view;  // a label found by inferenceId
  std::vector<long> at;         // the row's key positions, when positional
  auto lookup = [&](const Row& row, int slot) -> const std::string_view* {
    const std::string& a = *wanted[slot];
    if (!a.empty())
      if (const auto* v = find_key(row, a)) return v;
    if (index[slot] == kAmbiguous && !at.empty())
      check_unique_names(names, splitter_.files()[block.file].path, 1);  // throws
    if (const auto* v = positional(row, at, index[slot])) return v;
    if (const auto* v = find_key(row, prefixed[slot])) return v;
    if (slot != kGroundTruthSlot) return nullptr;
    if (const auto* v = find_key(row, "groundTruthData_0")) return v;
    if (const auto* id = find_key(row, "inferenceId")) {
      const auto it = labels_by_id_.find(std::string(*id));
      if (it == labels_by_id_.end()) return nullptr;
      label_view = it->second;
      return &label_view;
    }
    return find_key(row, kMergedTruth);
  };

  for (size_t i = 0; i < sources.size(); ++i) {
    const auto& r = results.entries[i];
    const Source& src = sources[i];
    if (r.kind == script::ResultKind::kDropped) {
      ++batch.dropped;
      continue;
    }
    if (r.kind == script::ResultKind::kError) {
      // A failing handler ends the job whatever --max-bad-rows allows: it is the script's bug.
      batch.error = RowProblem{
          batch.records,
          src.line,
          0,
          std::string(),
          "the record_preprocessor_script failed on this record:\n" + std::string(r.error),
          std::string(src.text.substr(0, 200))};
      return;
    }
    for (uint32_t k = 0; k < r.rows; ++k) {
      const auto [row_begin, row_end] = results.row(r.first_row + k);
      const Row row{row_begin, row_end};
      positions(row, at);
      const uint64_t record = batch.records++;
      RawValue values[3];
      std::optional<RowProblem> problem;
      for (int s = 0; s < 3 && !problem; ++s) {
        if (wanted[s]->empty() &&
            !(s == kGroundTruthSlot && format_.kind == FormatKind::kCaptureJson))
          continue;
        if (const auto* v = lookup(row, s)) {
          values[s] = RawValue::of_text(*v);
        } else if (s == kGroundTruthSlot && format_.kind == FormatKind::kCaptureJson &&
                   attributes_.ground_truth.empty()) {
          break;  // an inference without ground truth: left out, as the merge leaves it
        } else {
          problem = RowProblem{record,
                               src.line,
                               0,
                               *wanted[s],
                               fmt::format("the preprocessor's record has no value for this "
                                           "attribute (its keys: {})",
                                           key_list(row)),
                               ""};
        }
      }
      if (!problem && values[kGroundTruthSlot].kind == RawValue::Kind::kMissing &&
          format_.kind == FormatKind::kCaptureJson) {
        ++batch.dropped;
        continue;
      }
      if (!problem) {
        if (auto bad = append_row(attributes_, batch,
                                  static_cast<uint64_t>(src.text.data() - block.data.data()),
                                  src.line, values))
          problem = RowProblem{record,      src.line, 0, attribute_of(attributes_, bad->slot),
                               bad->reason, bad->text};
        else
          batch.sub.push_back(k);  // the k-th row of the record's results
      }
      if (problem) {
        if (!skip_bad_rows_) {
          batch.error = std::move(problem);
          return;
        }
        batch.skipped.push_back(std::move(*problem));
      }
    }
  }
}

}  // namespace mqmon
