#include "mqmon/jobs/scan.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/common/time.h"
#include "mqmon/readers/csv_reader.h"
#include "mqmon/readers/json_reader.h"

namespace mqmon {

BadRowLimit BadRowLimit::parse(const std::string& text) {
  BadRowLimit l;
  if (!text.empty() && text.back() == '%') {
    const auto v = parse_double(std::string_view(text).substr(0, text.size() - 1));
    if (!v || *v < 0 || *v > 100)
      throw ConfigError(
          fmt::format("--max-bad-rows '{}': a percentage must be between 0% and 100%", text));
    l.fraction = *v / 100;
    return l;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), l.count);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    throw ConfigError(
        fmt::format("--max-bad-rows '{}' must be a count (100) or a percentage (0.5%)", text));
  return l;
}

std::unique_ptr<RecordReader> open_dataset(const std::string& path, const DatasetFormat& format,
                                           const AttributeSpec& attributes, size_t block_size,
                                           bool skip_bad_rows) {
  return open_files(list_dataset_files(path), format, attributes, block_size, skip_bad_rows);
}

std::unique_ptr<RecordReader> open_files(std::vector<InputFile> files, const DatasetFormat& format,
                                         const AttributeSpec& attributes, size_t block_size,
                                         bool skip_bad_rows) {
  if (attributes.ground_truth.empty() && format.kind != FormatKind::kCaptureJson)
    throw ConfigError("a ground truth attribute is required");
  switch (format.kind) {
    case FormatKind::kCsv: {
      CsvOptions o;
      o.header = format.header;
      o.block_size = block_size;
      o.skip_bad_rows = skip_bad_rows;
      return std::make_unique<CsvReader>(std::move(files), o, attributes);
    }
    case FormatKind::kJsonLines:
    case FormatKind::kCaptureJson: {
      JsonOptions o;
      o.block_size = block_size;
      o.skip_bad_rows = skip_bad_rows;
      o.capture = format.kind == FormatKind::kCaptureJson;
      return std::make_unique<JsonReader>(std::move(files), o, attributes);
    }
    case FormatKind::kParquet:
      break;
  }
  throw ConfigError(
      fmt::format("dataset format '{}' is not supported yet (supported: csv, json, "
                  "sagemakerCaptureJson)",
                  format_name(format.kind)));
}

namespace {

/// Bounded FIFO between the splitting thread and the workers.
class BlockQueue {
 public:
  explicit BlockQueue(size_t capacity) : capacity_(capacity) {}
  void push(Block&& b) {
    std::unique_lock l(m_);
    not_full_.wait(l, [&] { return q_.size() < capacity_; });
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  bool pop(Block& b) {
    std::unique_lock l(m_);
    not_empty_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard l(m_);
    closed_ = true;
    not_empty_.notify_all();
  }
  /// Spare buffers, so blocks do not allocate in steady state.
  void recycle(Block&& b) {
    std::lock_guard l(m_);
    if (spares_.size() < capacity_) spares_.push_back(std::move(b));
  }
  Block spare() {
    std::lock_guard l(m_);
    if (spares_.empty()) return Block();
    Block b = std::move(spares_.back());
    spares_.pop_back();
    return b;
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Block> q_;
  std::vector<Block> spares_;
  size_t capacity_;
  bool closed_ = false;
};

/// Hands each block, in block order, the line number of its first line (counted from the start
/// of its file's bytes): block i waits until block i-1 has published its counts.
class Sequencer {
 public:
  uint64_t publish(const Block& block, uint64_t records, uint64_t lines) {
    std::unique_lock l(m_);
    cv_.wait(l, [&] { return next_ == block.index; });
    if (block.first_in_file) line_ = block.first_line;
    const uint64_t first_line = line_;
    records_ += records;
    line_ += lines;
    ++next_;
    cv_.notify_all();
    return first_line;
  }
  uint64_t records() {
    std::lock_guard l(m_);
    return records_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  uint64_t next_ = 0, records_ = 0, line_ = 1;
};

struct LocatedProblem {
  uint64_t block = 0, record = 0;
  std::string message;
  Location where;
  std::string reason, text;
  bool parse = true;  // false: an exception from elsewhere, rethrown as is
  std::exception_ptr exception;
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return fmt::format("{:.1f} {}", b, units[u]);
}

}  // namespace

std::unique_ptr<Accumulator> scan(RecordReader& reader, const AccumulatorFactory& make,
                                  const ScanOptions& options, ScanResult& result) {
  const unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  BlockQueue queue(2 * threads);
  Sequencer sequencer;
  std::mutex problems_mutex;
  std::vector<LocatedProblem> fatal;
  std::vector<LocatedProblem> skipped_examples;
  std::atomic<uint64_t> skipped{0};
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> stop_after{UINT64_MAX};  // no block past this one is read or used
  const auto& files = reader.files();
  const bool count_limit = options.max_bad_rows.fraction < 0;

  std::vector<uint64_t> file_keys;
  for (const auto& f : files) file_keys.push_back(file_key(f.name));
  auto locate = [&](const Block& block, uint64_t first_line, const RowProblem& p) {
    LocatedProblem lp;
    lp.block = block.index;
    lp.record = p.record;
    lp.where =
        Location{files[block.file].path, reader.lines_before(block.file) + first_line + p.line,
                 p.column, p.attribute};
    lp.reason = p.reason;
    lp.text = p.text;
    lp.message = ParseError::describe(lp.where, lp.reason, lp.text);
    return lp;
  };
  auto fail_at = [&](LocatedProblem lp) {
    std::lock_guard l(problems_mutex);
    uint64_t cur = stop_after.load();
    while (lp.block < cur && !stop_after.compare_exchange_weak(cur, lp.block)) {
    }
    fatal.push_back(std::move(lp));
  };

  log_phase("reading");
  std::atomic<bool> first_parse{true};
  std::atomic<unsigned> running{threads};
  std::vector<std::unique_ptr<Accumulator>> accs(threads);
  for (auto& a : accs) a = make();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Batch batch;
      Block block;
      while (queue.pop(block)) {
        const bool wanted = block.index <= stop_after.load();
        batch.clear();
        std::exception_ptr failure;
        if (wanted) {
          if (first_parse.exchange(false)) log_phase("parsing the first block");
          try {
            reader.parse_block(block, batch);
          } catch (...) {
            failure = std::current_exception();
          }
        }
        const uint64_t first_line = sequencer.publish(block, batch.records, batch.lines);
        // Lines of a shard from the middle of a file are counted only to name a bad record.
        const BatchOrigin origin{&files[block.file].path, file_keys[block.file], block.offset,
                                 files[block.file].begin > 0 ? 0 : first_line};
        if (!wanted) {
          queue.recycle(std::move(block));
          continue;
        }
        try {
          if (failure) std::rethrow_exception(failure);
          if (!batch.skipped.empty()) {
            const uint64_t total = skipped += batch.skipped.size();
            std::lock_guard l(problems_mutex);
            for (size_t i = 0; i < batch.skipped.size() && i < 5; ++i)
              skipped_examples.push_back(locate(block, first_line, batch.skipped[i]));
            if (count_limit && total > options.max_bad_rows.count) {
              uint64_t cur = stop_after.load();
              while (block.index < cur && !stop_after.compare_exchange_weak(cur, block.index)) {
              }
            }
          }
          if (batch.error) {
            fail_at(locate(block, first_line, *batch.error));
          } else {
            accs[t]->update(batch, origin);
            rows += batch.rows();
            dropped += batch.dropped;
          }
        } catch (...) {
          LocatedProblem lp;
          lp.block = block.index;
          lp.parse = false;
          lp.exception = std::current_exception();
          fail_at(std::move(lp));
        }
        queue.recycle(std::move(block));
      }
      accs[t]->finish_updates();
      if (--running == 0) log_phase("last rows accumulated");
    });
  }

  // Split on this thread; show progress on long reads.
  const auto start = std::chrono::steady_clock::now();
  auto last_print = start;
  bool printed = false;
  auto print_progress = [&](bool final_line) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double total = static_cast<double>(reader.total_bytes());
    const double done = static_cast<double>(reader.bytes_read());
    std::string pct = total > 0 ? fmt::format(" ({:.0f}%)", 100 * std::min(1.0, done / total)) : "";
    std::fprintf(stderr, "\rmqmon: read %s of %s%s, %llu rows, %.2f M rows/s   %s",
                 human_bytes(done).c_str(), human_bytes(total).c_str(), pct.c_str(),
                 static_cast<unsigned long long>(rows.load()),
                 secs > 0 ? static_cast<double>(rows.load()) / secs / 1e6 : 0.0,
                 final_line ? "\n" : "");
    std::fflush(stderr);
    printed = true;
  };
  std::exception_ptr split_failure;
  try {
    for (;;) {
      if (stop_after.load() != UINT64_MAX) break;
      Block block = queue.spare();
      if (!reader.next_block(block)) break;
      queue.push(std::move(block));
      if (options.progress) {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - start).count() >= options.progress_after_seconds &&
            (!printed || now - last_print > std::chrono::milliseconds(500))) {
          print_progress(false);
          last_print = now;
        }
      }
    }
  } catch (...) {
    split_failure = std::current_exception();
  }
  queue.close();
  for (auto& w : workers) w.join();
  if (printed) print_progress(true);
  if (split_failure) std::rethrow_exception(split_failure);

  if (!fatal.empty()) {
    const auto first =
        std::min_element(fatal.begin(), fatal.end(), [](const auto& a, const auto& b) {
          return a.block != b.block ? a.block < b.block : a.record < b.record;
        });
    if (!first->parse) std::rethrow_exception(first->exception);
    throw ParseError(first->where, first->reason, first->text);
  }
  std::sort(skipped_examples.begin(), skipped_examples.end(), [](const auto& a, const auto& b) {
    return a.block != b.block ? a.block < b.block : a.record < b.record;
  });
  result.records = sequencer.records();
  result.skipped = skipped.load();
  result.dropped = dropped.load();
  for (size_t i = 0; i < skipped_examples.size() && i < 5; ++i)
    result.skipped_examples.push_back(skipped_examples[i].message);
  const auto& limit = options.max_bad_rows;
  const bool over = count_limit ? result.skipped > limit.count
                                : static_cast<double>(result.skipped) >
                                      limit.fraction * static_cast<double>(result.records);
  if (result.skipped > 0 && over) {
    const std::string allowed =
        count_limit ? fmt::format("{}", limit.count) : fmt::format("{}%", limit.fraction * 100);
    throw DataError(fmt::format("too many bad records (more than --max-bad-rows {}); the first: {}",
                                allowed, skipped_examples.front().message));
  }
  for (size_t i = 1; i < accs.size(); ++i) accs[0]->absorb(std::move(accs[i]));
  return std::move(accs[0]);
}

}  // namespace mqmon
