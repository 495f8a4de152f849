#include "mqmon/readers/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/readers/csv_scan.h"
#include "mqmon/readers/row_builder.h"

namespace mqmon {

namespace {

inline bool is_space(char c) { return c == ' ' || c == '\t'; }

}  // namespace

size_t last_record_end(const char* p, size_t n) {
  if (std::memchr(p, '"', n) == nullptr) {
    const void* nl = memrchr(p, '\n', n);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
  }
  // The reader's own rules (scan_field, next_field): a quote opens a quoted field only at a
  // field's start, after spaces; in it "" is a quote; after the closing quote and spaces the field
  // must end, or the record is bad and the reader skips to the end of the line; a quote inside an
  // unquoted field is text. A quoted field never closed holds the rest of the bytes.
  enum { kFieldStart, kUnquoted, kQuoted, kQuote, kAfterQuote, kBadLine } state = kFieldStart;
  size_t last = 0;
  // A field's end: a line feed ends the record, a comma or carriage return the field.
  auto ends_field = [&](char c, size_t i) {
    if (c == '\n') last = i + 1;
    const bool end = c == '\n' || c == ',' || c == '\r';
    if (end) state = kFieldStart;
    return end;
  };
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    switch (state) {
      case kFieldStart:
        if (c == '"') {
          state = kQuoted;
        } else if (!is_space(c) && !ends_field(c, i)) {
          state = kUnquoted;
        }
        break;
      case kUnquoted:
        ends_field(c, i);
        break;
      case kQuoted:
        if (c == '"') state = kQuote;
        break;
      case kQuote:  // after a quote inside a quoted field: a second quote, or its end
        if (c == '"') {
          state = kQuoted;
          break;
        }
        state = kAfterQuote;
        [[fallthrough]];
      case kAfterQuote:
        if (!ends_field(c, i) && !is_space(c)) state = kBadLine;
        break;
      case kBadLine:
        if (c == '\n') {
          last = i + 1;
          state = kFieldStart;
        }
        break;
    }
  }
  return last;
}

namespace {

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
    : splitter_(std::move(files), options.block_size, last_record_end,
                [this](uint32_t file, std::string_view head, bool whole, uint64_t& lines) {
                  return read_header(file, head, whole, lines);
                }),
      options_(options),
      attributes_(std::move(attributes)),
      columns_(splitter_.files().size()) {
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

void check_unique_names(const std::vector<std::string>& names, const std::string& path,
                        uint64_t line) {
  // A name given twice makes "the column named X" ambiguous (pandas and DuckDB rename such
  // columns; mqmon asks for the fix).
  std::unordered_map<std::string_view, size_t> first;
  for (size_t i = 0; i < names.size(); ++i)
    if (const auto [it, fresh] = first.emplace(names[i], i); !fresh)
      throw ConfigError(fmt::format(
          "{}:{}: the header names column '{}' twice, as columns {} and {}; rename one of them",
          path, line, names[i], it->second + 1, i + 1));
}

CsvReader::Columns CsvReader::resolve_header(uint32_t file, const std::vector<std::string>& names,
                                             uint64_t header_line) const {
  check_unique_names(names, files()[file].path, header_line);
  auto find = [&](const std::string& attr, const char* role) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == attr) return static_cast<int>(i);
    std::string list;
    for (size_t i = 0; i < names.size(); ++i)
      list += fmt::format("{}'{}'", i ? ", " : "", names[i]);
    throw ConfigError(
        fmt::format("{}:{}: {} '{}' is not a column of the header; the columns are: {}",
                    files()[file].path, header_line, role, attr, list));
  };
  Columns c;
  c.ground_truth = find(attributes_.ground_truth, "ground truth attribute");
  if (!attributes_.inference.empty())
    c.inference = find(attributes_.inference, "inference attribute");
  if (!attributes_.probability.empty())
    c.probability = find(attributes_.probability, "probability attribute");
  return c;
}

std::optional<size_t> CsvReader::read_header(uint32_t file, std::string_view head, bool whole,
                                             uint64_t& lines) {
  // The header (or, without one, the first record, which sets the field count) is the first
  // non-blank record of the file.
  size_t skip = 0;
  while (skip < head.size() && (head[skip] == '\n' || head[skip] == '\r' || is_space(head[skip]))) {
    if (head[skip] == '\n') ++lines;
    ++skip;
  }
  if (skip == head.size()) return whole ? std::optional<size_t>(skip) : std::nullopt;  // empty file
  if (!whole && last_record_end(head.data() + skip, head.size() - skip) == 0) return std::nullopt;
  const char* p = head.data() + skip;
  std::vector<std::string> names;
  uint64_t newlines = 0;
  const uint64_t header_line = 1 + lines;
  if (!split_csv_record(p, head.data() + head.size(), names, newlines)) {
    if (!options_.header) {
      columns_[file].fields = 0;  // the first record is bad: parse_block reports it
      return skip;
    }
    throw ParseError({files()[file].path, header_line, 0, ""},
                     "the header's quoted field is not closed", "");
  }
  if (!options_.header) {
    columns_[file].fields = static_cast<int>(names.size());
    return skip;
  }
  lines += newlines;
  columns_[file] = resolve_header(file, names, header_line);
  columns_[file].fields = static_cast<int>(names.size());
  return static_cast<size_t>(p - head.data());
}

bool CsvReader::next_block(Block& block) { return splitter_.next(block); }

void CsvReader::parse_block(const Block& block, Batch& batch) const {
  batch.clear();
  const Columns& cols = columns_[block.file];
  const char* const begin = block.data.data();
  const char* p = begin;
  const char* const end = p + block.size;
  uint64_t line = 0;
  std::string scratch[3];
  std::string_view value[3];  // ground truth, inference, probability
  const int want[3] = {cols.ground_truth, cols.inference, cols.probability};
  const int last_wanted = std::max({want[0], want[1], want[2]});
  const std::string* names[3] = {&attributes_.ground_truth, &attributes_.inference,
                                 &attributes_.probability};
  std::string junk;
  const char* expected_by = options_.header ? "the header" : "the file's first record";
  auto expected_fields = [&](int n) {
    return n > 0 ? fmt::format(", {} has {}", expected_by, n) : std::string();
  };

  // Builds the row of a record whose values are in value[] (or records its problem). False: a
  // fatal problem stopped the block.
  auto finish = [&](uint64_t record, uint64_t record_line, uint64_t position,
                    std::optional<RowProblem> problem) {
    if (!problem) {
      if (auto bad = append_text_row(attributes_, batch, position, record_line, value))
        problem = RowProblem{
            record,      record_line, static_cast<uint32_t>(want[bad->slot] + 1), *names[bad->slot],
            bad->reason, bad->text};
    }
    if (problem) {
      if (!options_.skip_bad_rows) {
        batch.error = std::move(problem);
        batch.lines = line;
        return false;
      }
      batch.skipped.push_back(std::move(*problem));
    }
    return true;
  };

  // The reference reader: one record (or blank line) at p, a byte at a time.
  auto scalar_record = [&]() {
    // Blank lines (only spaces, CR) are not records.
    const char* q = p;
    while (q < end && (is_space(*q) || *q == '\r')) ++q;
    if (q == end || *q == '\n') {
      p = q < end ? q + 1 : q;
      if (q < end) ++line;
      return true;
    }
    const uint64_t record = batch.records++;
    const uint64_t record_line = line;
    const auto position = static_cast<uint64_t>(p - begin);
    bool present[3] = {false, false, false};
    int col = 0;
    std::optional<RowProblem> problem;
    const char* extra = nullptr;  // the first field past the expected count
    for (;; ++col) {
      if (col == cols.fields) extra = p;
      if (col > last_wanted) {
        // Every wanted field is read: count the fields left up to the end of the line unless a
        // quote could hide a delimiter or a line break among them.
        const char* nl =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        const char* stop = nl ? nl : end;
        if (!std::memchr(p, '"', static_cast<size_t>(stop - p))) {
          const int more = static_cast<int>(std::count(p, stop, ','));
          if (!extra && more > 0 && col + more >= cols.fields && cols.fields > 0) {
            // The expected count ends inside the rest: find the first extra field.
            extra = p;
            for (int k = col; k < cols.fields; ++k)
              extra = static_cast<const char*>(std::memchr(extra, ',', stop - extra)) + 1;
          }
          col += more;
          p = nl ? nl + 1 : end;
          if (nl) ++line;
          break;
        }
      }
      int slot = -1;  // first attribute read from this column (several may share one)
      for (int s = 0; s < 3 && slot < 0; ++s)
        if (want[s] == col) slot = s;
      FieldScan f = scan_field(p, end, slot >= 0 ? scratch[slot] : junk, line);
      if (!f.ok) {
        if (!problem) {
          const char* at = f.bad ? f.bad : p;
          const bool unterminated = *at == '"';
          problem = RowProblem{
              record, record_line, static_cast<uint32_t>(col + 1),
              slot >= 0 ? *names[slot] : std::string(),
              unterminated ? "quoted field is not closed" : "unexpected text after a closing quote",
              // Up to 40 bytes of the text, not past its line (nor the block).
              std::string(at, std::find(at, std::min(end, at + 40), '\n'))};
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
    const int fields = col + 1;
    for (int s = 0; s < 3 && !problem; ++s) {
      if (want[s] >= 0 && !present[s])
        problem = RowProblem{record,
                             record_line,
                             static_cast<uint32_t>(want[s] + 1),
                             *names[s],
                             fmt::format("missing value: the record has {} field{}{}", fields,
                                         fields == 1 ? "" : "s", expected_fields(cols.fields)),
                             ""};
    }
    if (!problem && cols.fields > 0 && fields != cols.fields) {
      // A delimiter too many or too few shifts every later value into another column: pandas
      // and DuckDB refuse such a record, and so do we.
      const bool more = fields > cols.fields;
      problem = RowProblem{
          record,
          record_line,
          0,
          std::string(),
          fmt::format("the record has {} field{}{}{}", fields, fields == 1 ? "" : "s",
                      expected_fields(cols.fields),
                      more ? fmt::format(" (a value with an unquoted comma? quote it); from field "
                                         "{} on",
                                         cols.fields + 1)
                           : ""),
          more && extra
              ? std::string(extra, std::min<size_t>(40, static_cast<size_t>(
                                                            std::find(extra, end, '\n') - extra)))
              : std::string()};
    }
    return finish(record, record_line, position, std::move(problem));
  };

  if (!options_.simd || cols.fields <= last_wanted || block.size >= (size_t{1} << 31)) {
    while (p < end)
      if (!scalar_record()) return;
    batch.lines = line;
    return;
  }

  // The fast path: the structural index gives each record's fields; a record that is not plain
  // (a quote, a stray '\r', a blank or space-led line, another field count) goes to the scalar
  // reader, which also decides whether the index's view of the quotes still holds after it.
  thread_local CsvIndex index;
  const char* base = begin;  // what the index's offsets count from
  index_csv(base, static_cast<size_t>(end - base), index);
  const uint32_t* sep = index.separators.data();
  const uint32_t* sep_end = sep + index.separators.size();
  const uint32_t* special = index.specials.data();
  const uint32_t* special_end = special + index.specials.size();
  auto size = static_cast<uint32_t>(end - base);
  int reindexed = 0;
  while (p < end) {
    const auto at = static_cast<uint32_t>(p - base);
    while (sep < sep_end && *sep < at) ++sep;
    while (special < special_end && *special < at) ++special;
    const uint32_t* s = sep;
    while (s < sep_end && base[*s] == ',') ++s;
    const uint32_t stop = s < sep_end ? *s : size;  // the record's '\n', or the block's end
    const auto fields = static_cast<int>(s - sep) + 1;
    const char first = *p;
    if (fields == cols.fields && (special == special_end || *special >= stop) && first != '\n' &&
        first != '\r' && !is_space(first)) {
      for (int k = 0; k < 3; ++k) {
        if (want[k] < 0) continue;
        const int c = want[k];
        const char* f = base + (c == 0 ? at : sep[c - 1] + 1);
        const char* t = base + (c == fields - 1 ? stop : sep[c]);
        if (c == fields - 1 && t > f && t[-1] == '\r') --t;  // CRLF
        while (f < t && is_space(*f)) ++f;
        while (t > f && is_space(t[-1])) --t;
        value[k] = std::string_view(f, static_cast<size_t>(t - f));
      }
      const uint64_t record = batch.records++;
      if (!finish(record, line, static_cast<uint64_t>(p - begin), std::nullopt)) return;
      if (stop < size) {
        ++line;
        p = base + stop + 1;
      } else {
        p = end;
      }
      continue;
    }
    if (!scalar_record()) return;
    // The index holds after this record when the scalar reader ended it where the index does (a
    // line feed the index counts as a separator has an even number of quotes before it in the
    // record, so the quoted regions after it are right); otherwise index the rest again from here.
    if (p == base + (stop < size ? stop + 1 : size)) continue;
    if (++reindexed > 16) {  // quotes this irregular are rare: read the rest a byte at a time
      while (p < end)
        if (!scalar_record()) return;
      break;
    }
    base = p;
    size = static_cast<uint32_t>(end - base);
    index_csv(base, size, index);
    sep = index.separators.data();
    sep_end = sep + index.separators.size();
    special = index.specials.data();
    special_end = special + index.specials.size();
  }
  batch.lines = line;
}

}  // namespace mqmon
