#include "mqmon/jobs/partial.h"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <map>
#include <utility>

#include "mqmon/common/blob.h"
#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/readers/row_builder.h"

namespace mqmon {

static_assert(std::endian::native == std::endian::little,
              "the partial-result format is little-endian");

namespace {

constexpr char kMagic[8] = {'M', 'Q', 'M', 'O', 'N', 'P', 'R', 'T'};
// magic, format version, flags, body length, stored (compressed) body length
constexpr size_t kHeader = sizeof kMagic + 4 + 4 + 8 + 8;
constexpr uint32_t kZstdBody = 1;  // flag: the body is one zstd frame

uint64_t parse_count(const std::string& text, const std::string& what) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size())
    throw ConfigError(fmt::format("{} '{}' is not a non-negative integer", what, text));
  return v;
}

std::string text_of(double v) { return fmt::format("{:.17g}", v); }
const char* text_of(bool v) { return v ? "true" : "false"; }

const char* label_type_name(LabelType t) {
  return t == LabelType::kString ? "string" : t == LabelType::kNumber ? "number" : "auto";
}

std::string join_labels(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) out += (i ? "\x1f" : "") + labels[i];
  return out;
}

using Options = std::vector<std::pair<std::string, std::string>>;

/// The options that decide a partial's numbers or its finalized files, by name: partials of one
/// job must agree on every one.
Options options_of(const EvaluationSpec& e, const SuggestOptions& s) {
  const BadRowLimit& bad = e.scan.max_bad_rows;
  return {
      {"problem_type", problem_type_name(e.problem_type)},
      {"dataset_format", format_name(e.format.kind)},
      {"header", text_of(e.format.header)},
      {"ground_truth_attribute", e.attributes.ground_truth},
      {"inference_attribute", e.attributes.inference},
      {"probability_attribute", e.attributes.probability},
      {"class_labels", join_labels(e.attributes.class_labels)},
      {"unbounded_scores", text_of(e.attributes.unbounded_scores)},
      {"label_type", label_type_name(e.attributes.label_type)},
      {"probability_threshold", text_of(e.probability_threshold)},
      {"positive_label", e.positive_label},
      {"negative_label", e.negative_label},
      {"seed", std::to_string(e.seed)},
      {"curve_points", std::to_string(e.curve_points)},
      {"max_bad_rows", bad.fraction >= 0 ? "fraction:" + text_of(bad.fraction)
                                         : "count:" + std::to_string(bad.count)},
      {"record_preprocessor_script", e.record_preprocessor_script},
      {"threshold_method", method_name(s.method)},
      {"alpha", text_of(s.alpha)},
      {"alpha_scope", scope_name(s.scope)},
      {"window_size", std::to_string(s.window_size)},
      {"replicates", std::to_string(s.replicates)},
      {"strict_layout", text_of(s.strict_layout)},
  };
}

void apply_options(const Options& options, EvaluationSpec& e, SuggestOptions& s) {
  for (const auto& option : options) {
    const std::string& key = option.first;  // not a structured binding: lambdas capture these
    const std::string& value = option.second;
    auto number = [&] {
      const auto v = parse_double(value);
      if (!v) throw DataError(fmt::format("option {} '{}' is not a number", key, value));
      return *v;
    };
    if (key == "problem_type") {
      e.problem_type = parse_problem_type(value);
    } else if (key == "dataset_format") {
      e.format.kind = value == "csv"                    ? FormatKind::kCsv
                      : value == "json"                 ? FormatKind::kJsonLines
                      : value == "sagemakerCaptureJson" ? FormatKind::kCaptureJson
                                                        : FormatKind::kParquet;
    } else if (key == "header") {
      e.format.header = value == "true";
    } else if (key == "ground_truth_attribute") {
      e.attributes.ground_truth = value;
    } else if (key == "inference_attribute") {
      e.attributes.inference = value;
    } else if (key == "probability_attribute") {
      e.attributes.probability = value;
    } else if (key == "class_labels") {
      e.attributes.class_labels.clear();
      for (size_t pos = 0; !value.empty() && pos <= value.size();) {
        const size_t sep = std::min(value.find('\x1f', pos), value.size());
        e.attributes.class_labels.push_back(value.substr(pos, sep - pos));
        pos = sep + 1;
      }
    } else if (key == "unbounded_scores") {
      e.attributes.unbounded_scores = value == "true";
    } else if (key == "label_type") {
      e.attributes.label_type = parse_label_type(value);
    } else if (key == "probability_threshold") {
      e.probability_threshold = number();
    } else if (key == "positive_label") {
      e.positive_label = value;
    } else if (key == "negative_label") {
      e.negative_label = value;
    } else if (key == "seed") {
      e.seed = parse_count(value, key);
    } else if (key == "curve_points") {
      e.curve_points = parse_count(value, key);
    } else if (key == "max_bad_rows") {
      BadRowLimit l;
      if (value.rfind("fraction:", 0) == 0) {
        const auto f = parse_double(std::string_view(value).substr(9));
        if (!f) throw DataError(fmt::format("option max_bad_rows '{}' is not valid", value));
        l.fraction = *f;
      } else {
        l.count = parse_count(value.substr(value.find(':') + 1), key);
      }
      e.scan.max_bad_rows = l;
    } else if (key == "record_preprocessor_script") {
      e.record_preprocessor_script = value;
    } else if (key == "threshold_method") {
      s.method = parse_threshold_method(value);
    } else if (key == "alpha") {
      s.alpha = number();
    } else if (key == "alpha_scope") {
      s.scope = parse_alpha_scope(value);
    } else if (key == "window_size") {
      s.window_size = parse_count(value, key);
    } else if (key == "replicates") {
      s.replicates = static_cast<int>(parse_count(value, key));
    } else if (key == "strict_layout") {
      s.strict_layout = value == "true";
    }
  }
  s.seed = e.seed;
}

uint64_t listing_digest(const std::vector<InputFile>& files) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto add = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i)
      h = (h ^ static_cast<const unsigned char*>(p)[i]) * 0x100000001b3ULL;
  };
  for (const auto& f : files) {
    add(f.name.data(), f.name.size() + 1);  // with its terminating NUL
    add(&f.size, sizeof f.size);
  }
  return h;
}

std::string describe_piece(const Piece& p) {
  if (p.file == Piece::kRows) return fmt::format("rows {}:{}", p.begin, p.end);
  if (p.begin == 0 && p.end == p.size) return fmt::format("'{}'", p.name);
  return fmt::format("bytes {}:{} of '{}'", p.begin, p.end, p.name);
}

}  // namespace

ShardSpec ShardSpec::parse_shard(const std::string& text) {
  ShardSpec s;
  const size_t slash = text.find('/');
  const std::string what = fmt::format("--shard '{}'", text);
  if (slash == std::string::npos)
    throw ConfigError(what + " must be i/N: the i-th of N shards, counted from 0");
  const uint64_t i = parse_count(text.substr(0, slash), what + ": i");
  const uint64_t n = parse_count(text.substr(slash + 1), what + ": N");
  if (n == 0 || n > UINT32_MAX || i >= n)
    throw ConfigError(fmt::format("{}: i must be at least 0 and below N (0/{} .. {}/{})", what, n,
                                  n ? n - 1 : 0, n));
  s.index = static_cast<uint32_t>(i);
  s.count = static_cast<uint32_t>(n);
  return s;
}

ShardSpec ShardSpec::parse_byte_range(const std::string& text) {
  ShardSpec s;
  s.byte_range = true;
  const size_t colon = text.find(':');
  const std::string what = fmt::format("--byte-range '{}'", text);
  if (colon == std::string::npos)
    throw ConfigError(what + " must be A:B (bytes A up to B of the file; B empty: to its end)");
  s.begin = parse_count(text.substr(0, colon), what + ": A");
  s.end = colon + 1 == text.size() ? UINT64_MAX : parse_count(text.substr(colon + 1), what + ": B");
  if (s.end < s.begin) throw ConfigError(what + ": B is before A");
  return s;
}

ShardPlan plan_shard(const std::vector<InputFile>& listing, const ShardSpec& shard) {
  ShardPlan plan;
  auto add = [&](uint32_t index, uint64_t begin, uint64_t end) {
    const InputFile& f = listing[index];
    plan.pieces.push_back({index, f.name, f.size, begin, end});
    if (begin == 0 && end == f.size) {
      plan.files.push_back(f);
      return;
    }
    InputFile part = f;
    part.begin = align_to_record(f, begin);
    part.end = align_to_record(f, end);
    if (part.begin < part.end) plan.files.push_back(part);
  };
  if (shard.byte_range) {
    if (listing.size() != 1)
      throw ConfigError(
          fmt::format("--byte-range takes a dataset of one file; this one has {} (use --shard i/N)",
                      listing.size()));
    const InputFile& f = listing[0];
    const uint64_t begin = std::min(shard.begin, f.size), end = std::min(shard.end, f.size);
    if ((begin > 0 || end < f.size) && is_compressed(f))
      throw ConfigError(fmt::format(
          "'{}' is compressed: a compressed file is read whole, as one shard (--byte-range 0:)",
          f.path));
    add(0, begin, end);
    return plan;
  }
  uint64_t total = 0;
  for (const auto& f : listing) total += f.size;
  using u128 = unsigned __int128;
  const auto cut = [&](uint64_t k) {
    return static_cast<uint64_t>(static_cast<u128>(total) * k / shard.count);
  };
  const uint64_t lo = cut(shard.index), hi = cut(shard.index + 1);
  // The shard owning a position: lo <= x < hi (the end of the data belongs to the last one).
  const auto owns = [&](uint64_t x) {
    return (lo <= x && x < hi) || (x == total && shard.index + 1 == shard.count);
  };
  uint64_t start = 0;
  for (uint32_t i = 0; i < listing.size(); ++i) {
    const InputFile& f = listing[i];
    const uint64_t end = start + f.size;
    if (start >= lo && end <= hi && (f.size > 0 || owns(start))) {
      add(i, 0, f.size);  // wholly inside this shard's run
    } else if (start < hi && end > lo) {
      // Cut by a run boundary: a plain file is split there, a compressed one goes whole to the
      // shard holding its first byte.
      if (is_compressed(f)) {
        if (owns(start)) add(i, 0, f.size);
      } else {
        add(i, std::max(lo, start) - start, std::min(hi, end) - start);
      }
    }
    start = end;
  }
  return plan;
}

PartialResult compute_partial(const std::string& dataset, const ShardSpec& shard,
                              const EvaluationSpec& spec, const SuggestOptions& suggest) {
  PartialResult p;
  p.evaluation = spec;
  p.suggest = suggest;
  p.suggest.seed = spec.seed;
  // The bad-row limit holds for the whole dataset, checked when the partials are finalized: a
  // shard may skip up to a count, and any number under a percentage.
  EvaluationSpec shard_spec = spec;
  if (spec.scan.max_bad_rows.fraction > 0) shard_spec.scan.max_bad_rows = BadRowLimit{UINT64_MAX};
  p.state = scan_files(
      [&] {
        const auto listing = list_dataset_files(dataset);
        p.listing_digest = listing_digest(listing);
        p.listing_files = static_cast<uint32_t>(listing.size());
        ShardPlan plan = plan_shard(listing, shard);
        p.pieces = std::move(plan.pieces);
        return std::move(plan.files);
      },
      shard_spec, p.scanned);
  return p;
}

PartialResult partial_of_columns(const MemoryColumns& columns, const EvaluationSpec& spec,
                                 const SuggestOptions& suggest) {
  PartialResult p;
  p.evaluation = spec;
  p.suggest = suggest;
  p.suggest.seed = spec.seed;
  p.state = columns_state(columns, spec);
  p.pieces.push_back(
      {Piece::kRows, "<arrays>", 0, columns.first_row, columns.first_row + columns.rows});
  p.scanned.records = columns.rows;
  return p;
}

std::string encode_partial(const PartialResult& p) {
  std::string body;
  const Options options = options_of(p.evaluation, p.suggest);
  blob::put<uint64_t>(body, options.size());
  for (const auto& [key, value] : options) {
    blob::put_string(body, key);
    blob::put_string(body, value);
  }
  blob::put(body, p.listing_digest);
  blob::put(body, p.listing_files);
  blob::put<uint64_t>(body, p.pieces.size());
  for (const auto& piece : p.pieces) {
    blob::put(body, piece.file);
    blob::put_string(body, piece.name);
    blob::put(body, piece.size);
    blob::put(body, piece.begin);
    blob::put(body, piece.end);
  }
  blob::put(body, p.scanned.records);
  blob::put(body, p.scanned.skipped);
  blob::put(body, p.scanned.dropped);
  blob::put<uint64_t>(body, p.scanned.skipped_examples.size());
  for (const auto& e : p.scanned.skipped_examples) blob::put_string(body, e);
  blob::put_string(body, p.state->serialize());

  // Counts are small numbers in wide fields: zstd's fastest level shrinks them ~10x.
  std::string stored(ZSTD_compressBound(body.size()), '\0');
  const size_t n = ZSTD_compress(stored.data(), stored.size(), body.data(), body.size(), 1);
  if (ZSTD_isError(n))
    throw IoError(fmt::format("cannot compress a partial result: {}", ZSTD_getErrorName(n)));
  stored.resize(n);
  std::string out(kMagic, sizeof kMagic);
  blob::put<uint32_t>(out, kPartialFormatVersion);
  blob::put<uint32_t>(out, kZstdBody);
  blob::put<uint64_t>(out, body.size());
  blob::put<uint64_t>(out, stored.size());
  out += stored;
  const uLong crc = crc32_z(0L, reinterpret_cast<const Bytef*>(out.data()), out.size());
  blob::put<uint32_t>(out, static_cast<uint32_t>(crc));
  return out;
}

PartialResult decode_partial(const std::string& bytes, const std::string& name) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw DataError(fmt::format("'{}' is not an mqmon partial result (it does not start with {})",
                                name, std::string(kMagic, sizeof kMagic)));
  size_t pos = sizeof kMagic;
  if (bytes.size() < kHeader)
    throw DataError(
        fmt::format("'{}' is truncated: {} bytes, not even its header", name, bytes.size()));
  const auto version = blob::get<uint32_t>(bytes, pos);
  if (version != kPartialFormatVersion)
    throw DataError(fmt::format(
        "'{}' is a partial result of format version {}; this mqmon reads version {}{}", name,
        version, kPartialFormatVersion,
        version > kPartialFormatVersion ? ": combine it with the newer mqmon that wrote it"
                                        : ": compute it again with this mqmon"));
  const auto flags = blob::get<uint32_t>(bytes, pos);
  const auto body_length = blob::get<uint64_t>(bytes, pos);
  const auto length = blob::get<uint64_t>(bytes, pos);
  if (bytes.size() - kHeader < length || bytes.size() - kHeader - length < 4)
    throw DataError(fmt::format("'{}' is truncated: {} bytes of the {} its header announces", name,
                                bytes.size(), kHeader + length + 4));
  if (bytes.size() != kHeader + length + 4)
    throw DataError(fmt::format("'{}' is damaged: {} bytes follow its end", name,
                                bytes.size() - kHeader - length - 4));
  size_t crc_pos = kHeader + length;
  const auto stored = blob::get<uint32_t>(bytes, crc_pos);
  const uLong crc = crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), kHeader + length);
  if (stored != static_cast<uint32_t>(crc))
    throw DataError(fmt::format(
        "'{}' is damaged: its checksum does not match its content (a byte changed in transit or "
        "on disk); compute this partial again",
        name));
  // mqmon's bodies compress a few times over, never a thousand: a larger claim is damage, and
  // memory is not given to it.
  if ((flags & kZstdBody) &&
      (body_length > 1024 * length + (64 << 10) ||
       ZSTD_getFrameContentSize(bytes.data() + kHeader, length) != body_length))
    throw DataError(fmt::format("'{}' is damaged: its body is not the size its header says", name));
  if (!(flags & kZstdBody) && body_length != length)
    throw DataError(fmt::format("'{}' is damaged: its body is not the size its header says", name));
  std::string body(body_length, '\0');
  if (flags & kZstdBody) {
    const size_t n = ZSTD_decompress(body.data(), body.size(), bytes.data() + kHeader, length);
    if (ZSTD_isError(n) || n != body_length)
      throw DataError(fmt::format("'{}' is damaged: its body does not decompress", name));
  } else {
    body = bytes.substr(kHeader, length);
  }
  pos = 0;
  try {
    PartialResult p;
    // A count is never more than the bytes left (each item takes at least one).
    auto count = [&] {
      const auto n = blob::get<uint64_t>(body, pos);
      if (n > body.size() - pos) throw DataError("a count larger than the data");
      return n;
    };
    Options options(count());
    for (auto& [key, value] : options) {
      key = blob::get_string(body, pos);
      value = blob::get_string(body, pos);
    }
    apply_options(options, p.evaluation, p.suggest);
    p.listing_digest = blob::get<uint64_t>(body, pos);
    p.listing_files = blob::get<uint32_t>(body, pos);
    p.pieces.resize(count());
    for (auto& piece : p.pieces) {
      piece.file = blob::get<uint32_t>(body, pos);
      piece.name = blob::get_string(body, pos);
      piece.size = blob::get<uint64_t>(body, pos);
      piece.begin = blob::get<uint64_t>(body, pos);
      piece.end = blob::get<uint64_t>(body, pos);
    }
    p.scanned.records = blob::get<uint64_t>(body, pos);
    p.scanned.skipped = blob::get<uint64_t>(body, pos);
    p.scanned.dropped = blob::get<uint64_t>(body, pos);
    p.scanned.skipped_examples.resize(count());
    for (auto& e : p.scanned.skipped_examples) e = blob::get_string(body, pos);
    p.state = read_state(p.evaluation, blob::get_string(body, pos));
    if (pos != body.size()) throw DataError("bytes left over");
    return p;
  } catch (const Error& e) {
    // The checksum held, so the writer wrote this: another build's layout.
    throw DataError(
        fmt::format("'{}' cannot be read although its checksum holds ({}): was it "
                    "written by another build of mqmon {}?",
                    name, e.what(), kPartialFormatVersion));
  }
}

void merge_partial(PartialResult& into, PartialResult other, const std::string& other_name) {
  const Options a = options_of(into.evaluation, into.suggest);
  const Options b = options_of(other.evaluation, other.suggest);
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].second != b[i].second)
      throw ConfigError(fmt::format(
          "'{}' was computed with {} '{}', the partials before it with '{}': the partial results "
          "of one job share every option",
          other_name, a[i].first, b[i].second, a[i].second));
  const bool rows_a = !into.pieces.empty() && into.pieces[0].file == Piece::kRows;
  const bool rows_b = !other.pieces.empty() && other.pieces[0].file == Piece::kRows;
  if (rows_a != rows_b || into.listing_digest != other.listing_digest ||
      into.listing_files != other.listing_files)
    throw ConfigError(fmt::format(
        "'{}' is from another dataset than the partials before it ({} files, where they saw {}, "
        "or other names or sizes): list the dataset once for all shards",
        other_name, other.listing_files, into.listing_files));
  for (const auto& p : other.pieces)
    for (const auto& q : into.pieces)
      if (p.file == q.file && p.begin < q.end && q.begin < p.end)
        throw DataError(fmt::format(
            "'{}' covers {}, which an earlier partial covers too: each shard must be merged once",
            other_name, describe_piece(p)));
  into.state->absorb(std::move(other.state));
  into.pieces.insert(into.pieces.end(), other.pieces.begin(), other.pieces.end());
  into.scanned.records += other.scanned.records;
  into.scanned.skipped += other.scanned.skipped;
  into.scanned.dropped += other.scanned.dropped;
  for (auto& e : other.scanned.skipped_examples)
    if (into.scanned.skipped_examples.size() < 5)
      into.scanned.skipped_examples.push_back(std::move(e));
}

PartialResult merge_encoded(const std::vector<std::string>& names,
                            const std::function<std::string(size_t)>& bytes_of) {
  if (names.empty()) throw ConfigError("no partial result to merge");
  PartialResult merged = decode_partial(bytes_of(0), names[0]);
  for (size_t i = 1; i < names.size(); ++i)
    merge_partial(merged, decode_partial(bytes_of(i), names[i]), names[i]);
  return merged;
}

Evaluation finalize_partial(const PartialResult& p) {
  // Coverage: every file of the listing, each byte once (or rows 0..n-1).
  std::map<uint32_t, std::vector<const Piece*>> by_file;
  for (const auto& piece : p.pieces) by_file[piece.file].push_back(&piece);
  const bool rows = by_file.count(Piece::kRows) > 0;
  for (uint32_t f = 0; f < p.listing_files; ++f)
    if (!by_file.count(f))
      throw DataError(fmt::format(
          "the partial results do not cover the dataset: file {} of its {} is in none of them",
          f + 1, p.listing_files));
  for (auto& [file, pieces] : by_file) {
    std::sort(pieces.begin(), pieces.end(),
              [](const Piece* a, const Piece* b) { return a->begin < b->begin; });
    uint64_t at = 0;
    for (const Piece* piece : pieces) {
      if (piece->begin > at)
        throw DataError(
            fmt::format("the partial results do not cover the dataset: {} missing",
                        describe_piece({file, piece->name, piece->size, at, piece->begin})));
      at = std::max(at, piece->end);
    }
    if (!rows && at < pieces.front()->size)
      throw DataError(fmt::format("the partial results do not cover the dataset: {} missing",
                                  describe_piece({file, pieces.front()->name, pieces.front()->size,
                                                  at, pieces.front()->size})));
  }
  // The bad-row limit, on the totals.
  const BadRowLimit& limit = p.evaluation.scan.max_bad_rows;
  const bool count_limit = limit.fraction < 0;
  const bool over = count_limit ? p.scanned.skipped > limit.count
                                : static_cast<double>(p.scanned.skipped) >
                                      limit.fraction * static_cast<double>(p.scanned.records);
  if (p.scanned.skipped > 0 && over)
    throw DataError(fmt::format(
        "too many bad records (more than --max-bad-rows {}): {} of {}; the first: {}",
        count_limit ? std::to_string(limit.count) : fmt::format("{}%", limit.fraction * 100),
        p.scanned.skipped, p.scanned.records,
        p.scanned.skipped_examples.empty() ? "?" : p.scanned.skipped_examples[0]));
  const std::string where = fmt::format("the {} partial results hold", p.pieces.size());
  return finalize_evaluation(*p.state, p.evaluation, p.scanned, "the partial results", where);
}

}  // namespace mqmon
