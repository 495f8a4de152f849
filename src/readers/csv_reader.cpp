#include "mqmon/readers/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/readers/row_builder.h"

namespace mqmon {

namespace {

inline bool is_space(char c) { return c == ' ' || c == '\t'; }

/// End of the last complete record in [p, p+n) (0 when none), given that p starts a record.
size_t last_record_end(const char* p, size_t n) {
  if (std::memchr(p, '"', n) == nullptr) {
    const void* nl = memrchr(p, '\n', n);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
  }
  bool quoted = false;
  size_t last = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (c == '"')
      quoted = !quoted;
    else if (c == '\n' && !quoted)
      last = i + 1;
  }
  return last;
}

/// One field of a record. For a quoted field with doubled quotes the unescaped text lives in
/// `scratch`.
struct FieldScan {
  std::string_view text;
  bool quoted = false;
  bool ok = true;  // false: unterminated quote or junk after the closing quote
  const char* bad = nullptr;
};

/// Scans one field starting at p; leaves p on the delimiter (',', '\n', '\r') or at end.
inline FieldScan scan_field(const char*& p, const char* end, std::string& scratch,
                            uint64_t& newlines) {
  FieldScan f;
  while (p < end && is_space(*p)) ++p;
  if (p < end && *p == '"') {
    f.quoted = true;
    const char* start = ++p;
    bool escaped = false;
    for (;;) {
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
      if (!q) {
        f.ok = false;
        f.bad = start - 1;
        newlines += static_cast<uint64_t>(std::count(p, end, '\n'));
        p = end;
        return f;
      }
      newlines += static_cast<uint64_t>(std::count(p, q, '\n'));
      if (q + 1 < end && q[1] == '"') {
        escaped = true;
        p = q + 2;
        continue;
      }
      if (escaped) {
        scratch.clear();
        for (const char* s = start; s < q; ++s) {
          scratch.push_back(*s);
          if (*s == '"') ++s;  // skip the second quote of a pair
        }
        f.text = scratch;
      } else {
        f.text = std::string_view(start, static_cast<size_t>(q - start));
      }
      p = q + 1;
      break;
    }
    while (p < end && is_space(*p)) ++p;
    if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
      f.ok = false;
      f.bad = p;
    }
    return f;
  }
  const char* start = p;
  while (p < end && *p != ',' && *p != '\n' && *p != '\r') ++p;
  const char* stop = p;
  while (stop > start && is_space(stop[-1])) --stop;
  f.text = std::string_view(start, static_cast<size_t>(stop - start));
  return f;
}

/// Consumes the record terminator at p (",": more fields follow, returns true).
inline bool next_field(const char*& p, const char* end, uint64_t& newlines) {
  if (p < end && *p == ',') {
    ++p;
    return true;
  }
  // Skip a '\r' (CRLF, or a stray CR) and the '\n'.
  while (p < end && *p == '\r') ++p;
  if (p < end && *p == '\n') {
    ++p;
    ++newlines;
  }
  return false;
}

}  // namespace

bool split_csv_record(const char*& p, const char* end, std::vector<std::string>& fields,
                      uint64_t& newlines) {
  fields.clear();
  std::string scratch;
  for (;;) {
    FieldScan f = scan_field(p, end, scratch, newlines);
    if (!f.ok) return false;
    fields.emplace_back(f.text);
    if (!next_field(p, end, newlines)) return true;
  }
}

CsvReader::CsvReader(std::vector<InputFile> files, CsvOptions options, AttributeSpec attributes)
    : files_(std::move(files)),
      options_(options),
      attributes_(std::move(attributes)),
      columns_(files_.size()) {
  for (const auto& f : files_) total_bytes_ += f.size;
  if (!options_.header) {
    // Without a header the attributes must be column indices: check them before reading.
    const Columns c = resolve_indices();
    std::fill(columns_.begin(), columns_.end(), c);
  }
}

CsvReader::~CsvReader() = default;

namespace {
int index_attribute(const std::string& attr, const char* role) {
  int idx = -1;
  auto [ptr, ec] = std::from_chars(attr.data(), attr.data() + attr.size(), idx);
  if (attr.empty() || ec != std::errc() || ptr != attr.data() + attr.size() || idx < 0)
    throw ConfigError(fmt::format(
        "{} '{}' must be a 0-based column index (\"0\", \"2\", ...) because the CSV dataset has no "
        "header",
        role, attr));
  return idx;
}
}  // namespace

CsvReader::Columns CsvReader::resolve_indices() const {
  Columns c;
  c.ground_truth = index_attribute(attributes_.ground_truth, "ground truth attribute");
  if (!attributes_.inference.empty())
    c.inference = index_attribute(attributes_.inference, "inference attribute");
  if (!attributes_.probability.empty())
    c.probability = index_attribute(attributes_.probability, "probability attribute");
  return c;
}

CsvReader::Columns CsvReader::resolve_header(const std::vector<std::string>& names,
                                             uint64_t header_line) const {
  auto find = [&](const std::string& attr, const char* role) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == attr) return static_cast<int>(i);
    std::string list;
    for (size_t i = 0; i < names.size(); ++i)
      list += fmt::format("{}'{}'", i ? ", " : "", names[i]);
    throw ConfigError(
        fmt::format("{}:{}: {} '{}' is not a column of the header; the columns are: {}",
                    files_[current_file_].path, header_line, role, attr, list));
  };
  Columns c;
  c.ground_truth = find(attributes_.ground_truth, "ground truth attribute");
  if (!attributes_.inference.empty())
    c.inference = find(attributes_.inference, "inference attribute");
  if (!attributes_.probability.empty())
    c.probability = find(attributes_.probability, "probability attribute");
  return c;
}

size_t CsvReader::fill(std::vector<char>& buf, size_t& size, size_t want) {
  if (buf.size() < want) buf.resize(want);
  size_t added = 0;
  while (size < want && !stream_eof_) {
    const size_t k = stream_->read(buf.data() + size, want - size);
    if (k == 0) stream_eof_ = true;
    size += k;
    added += k;
  }
  return added;
}

bool CsvReader::open_next_file() {
  if (stream_) {
    bytes_done_ += stream_->raw_bytes_read();
    stream_.reset();
  }
  if (next_file_ >= files_.size()) return false;
  current_file_ = static_cast<uint32_t>(next_file_++);
  stream_ = open_byte_stream(files_[current_file_].path);
  stream_eof_ = false;
  carry_size_ = 0;
  first_line_ = 1;
  pending_first_ = true;
  fill(carry_, carry_size_, std::max<size_t>(options_.block_size, 4096));
  if (carry_size_ >= 3 && std::memcmp(carry_.data(), "\xEF\xBB\xBF", 3) == 0) {
    std::memmove(carry_.data(), carry_.data() + 3, carry_size_ - 3);
    carry_size_ -= 3;
  }
  if (!options_.header) return true;
  // Header: the first non-blank record of the file. Grow the buffer until it holds it whole.
  for (;;) {
    size_t skip = 0;
    while (skip < carry_size_ &&
           (carry_[skip] == '\n' || carry_[skip] == '\r' || is_space(carry_[skip]))) {
      if (carry_[skip] == '\n') ++first_line_;
      ++skip;
    }
    const size_t end = last_record_end(carry_.data() + skip, carry_size_ - skip);
    if (skip == carry_size_ && stream_eof_) {  // an empty file contributes nothing
      carry_size_ = 0;
      return true;
    }
    if (end == 0 && !stream_eof_) {
      fill(carry_, carry_size_, carry_size_ * 2);
      continue;
    }
    const char* p = carry_.data() + skip;
    const char* stop = carry_.data() + carry_size_;
    std::vector<std::string> names;
    uint64_t newlines = 0;
    const uint64_t header_line = first_line_;
    if (!split_csv_record(p, stop, names, newlines))
      throw ParseError({files_[current_file_].path, header_line, 0, ""},
                       "the header's quoted field is not closed", "");
    first_line_ += newlines;
    columns_[current_file_] = resolve_header(names, header_line);
    const size_t used = static_cast<size_t>(p - carry_.data());
    std::memmove(carry_.data(), carry_.data() + used, carry_size_ - used);
    carry_size_ -= used;
    return true;
  }
}

bool CsvReader::next_block(Block& block) {
  for (;;) {
    if (!stream_ && !open_next_file()) return false;
    const size_t want = std::max<size_t>(options_.block_size, 1);
    if (carry_size_ < want) fill(carry_, carry_size_, want);
    if (carry_size_ == 0 && stream_eof_) {
      bytes_done_ += stream_->raw_bytes_read();
      stream_.reset();
      continue;
    }
    size_t end = stream_eof_ ? carry_size_ : last_record_end(carry_.data(), carry_size_);
    while (end == 0) {  // a record longer than the block: grow until it fits
      fill(carry_, carry_size_, carry_size_ * 2 + 1);
      end = stream_eof_ ? carry_size_ : last_record_end(carry_.data(), carry_size_);
    }
    block.index = next_index_++;
    block.file = current_file_;
    block.first_in_file = pending_first_;
    block.first_line = first_line_;
    pending_first_ = false;
    if (block.data.size() < end) block.data.resize(std::max(end, want));
    std::memcpy(block.data.data(), carry_.data(), end);
    block.size = end;
    std::memmove(carry_.data(), carry_.data() + end, carry_size_ - end);
    carry_size_ -= end;
    return true;
  }
}

void CsvReader::parse_block(const Block& block, Batch& batch) const {
  batch.clear();
  const Columns& cols = columns_[block.file];
  const char* p = block.data.data();
  const char* const end = p + block.size;
  uint64_t line = 0;
  std::string scratch[3];
  std::string_view value[3];  // ground truth, inference, probability
  const int want[3] = {cols.ground_truth, cols.inference, cols.probability};
  const std::string* names[3] = {&attributes_.ground_truth, &attributes_.inference,
                                 &attributes_.probability};
  std::string junk;

  while (p < end) {
    // Blank lines (only spaces, CR) are not records.
    const char* q = p;
    while (q < end && (is_space(*q) || *q == '\r')) ++q;
    if (q == end || *q == '\n') {
      p = q < end ? q + 1 : q;
      if (q < end) ++line;
      continue;
    }
    const uint64_t record = batch.records++;
    const uint64_t record_line = line;
    bool present[3] = {false, false, false};
    int col = 0;
    std::optional<RowProblem> problem;
    for (;; ++col) {
      int slot = -1;  // first attribute read from this column (several may share one)
      for (int s = 0; s < 3 && slot < 0; ++s)
        if (want[s] == col) slot = s;
      FieldScan f = scan_field(p, end, slot >= 0 ? scratch[slot] : junk, line);
      if (!f.ok) {
        if (!problem) {
          const char* at = f.bad ? f.bad : p;
          const bool unterminated = *at == '"';
          problem = RowProblem{
              record,
              record_line,
              static_cast<uint32_t>(col + 1),
              slot >= 0 ? *names[slot] : std::string(),
              unterminated ? "quoted field is not closed" : "unexpected text after a closing quote",
              std::string(at, std::min<size_t>(40, static_cast<size_t>(end - at)))};
        }
        // Resynchronise at the end of the line.
        while (p < end && *p != '\n') ++p;
        if (p < end) {
          ++p;
          ++line;
        }
        break;
      }
      for (int s = 0; s < 3; ++s) {
        if (want[s] != col) continue;
        value[s] = f.text;  // points into the block, or into scratch[slot] for escaped quotes
        present[s] = true;
      }
      if (!next_field(p, end, line)) break;
    }
    for (int s = 0; s < 3 && !problem; ++s) {
      if (want[s] >= 0 && !present[s])
        problem = RowProblem{
            record,
            record_line,
            static_cast<uint32_t>(want[s] + 1),
            *names[s],
            fmt::format("missing value: the record has {} column{}", col + 1, col ? "s" : ""),
            ""};
    }
    if (!problem) {
      const RawValue values[3] = {RawValue::of_text(value[0]), RawValue::of_text(value[1]),
                                  RawValue::of_text(value[2])};
      if (auto bad = append_row(attributes_, batch, record, record_line, values))
        problem = RowProblem{record,    record_line, static_cast<uint32_t>(want[bad->slot] + 1),
                             *names[bad->slot], bad->reason, bad->text};
    }
    if (problem) {
      if (!options_.skip_bad_rows) {
        batch.error = std::move(problem);
        batch.lines = line;
        return;
      }
      batch.skipped.push_back(std::move(*problem));
    }
  }
  batch.lines = line;
}

}  // namespace mqmon
