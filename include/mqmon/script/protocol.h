#pragma once
/// The frames between mqmon and its script workers (child processes that embed CPython), so that
/// mqmon itself never loads libpython. Little-endian, length-prefixed:
///
///   hello      worker -> mqmon  u8 ok, str message (when not ok: why the script cannot run)
///   batch      mqmon -> worker  u32 n, n x str record (the text the handler is called with)
///   results    worker -> mqmon  n x result, then u32 log-line count, log lines (str)
///   result     u8 kind: 0 dropped ([]), 1 rows, 2 error
///              rows: u32 r, r x (u32 k, k x (key, str value))
///              key: str, or u32 kSameKey when it is the key at the same position in the batch's
///              previous row (the seed's positional keys repeat on every row)
///              error: str message (the Python traceback)
///
/// str is u32 length + bytes. A value is the text of the Python value: str as is, float as repr
/// (shortest round trip), int as str, bool as true/false; None leaves the key out.

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqmon::script {

enum class ResultKind : uint8_t { kDropped = 0, kRows = 1, kError = 2 };

constexpr uint32_t kSameKey = 0xFFFFFFFFu;

using Field = std::pair<std::string_view, std::string_view>;

/// What the handler made of a batch of records; the views point into `frame`.
struct Results {
  struct Entry {
    ResultKind kind = ResultKind::kDropped;
    uint32_t first_row = 0, rows = 0;  ///< kRows: rows [first_row, first_row + rows)
    std::string_view error;            ///< kError: the traceback or the complaint
  };
  std::string frame;
  std::vector<Entry> entries;       ///< one per record
  std::vector<uint32_t> row_begin;  ///< row r's fields: [row_begin[r], row_begin[r + 1])
  std::vector<Field> fields;

  /// The fields of row r.
  std::pair<const Field*, const Field*> row(uint32_t r) const {
    return {fields.data() + row_begin[r], fields.data() + row_begin[r + 1]};
  }
};

/// The worker entry point in libmqmon_script.so: reads batches from in_fd and answers on out_fd
/// until in_fd closes; returns the process's exit code. `script_path` is a local file (mqmon copies
/// an s3:// script to one first). mode 0: preprocess records; mode 1: call postprocess_handler().
constexpr const char* kWorkerEntry = "mqmon_script_worker_main";
using WorkerEntry = int (*)(int in_fd, int out_fd, const char* script_path, int mode);

/// A frame being built, in a buffer that keeps its size from frame to frame (clear() keeps it).
class Writer {
 public:
  void reserve(size_t bytes) {
    if (bytes > capacity_) {
      auto bigger = std::make_unique_for_overwrite<char[]>(bytes);
      if (size_) std::memcpy(bigger.get(), data_.get(), size_);
      data_ = std::move(bigger);
      capacity_ = bytes;
    }
  }
  void clear() { size_ = 0; }
  /// n more bytes at the end, uninitialised, for the caller to fill.
  char* grow(size_t n) {
    if (size_ + n > capacity_) reserve(std::max(size_ + n, 2 * capacity_));
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  void u8(uint8_t v) { *grow(1) = static_cast<char>(v); }
  void u32(uint32_t v) { std::memcpy(grow(4), &v, 4); }
  void str(std::string_view s) {
    char* p = grow(4 + s.size());
    const auto n = static_cast<uint32_t>(s.size());
    std::memcpy(p, &n, 4);
    std::memcpy(p + 4, s.data(), s.size());
  }
  std::string_view buffer() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0, capacity_ = 0;
};

/// Reads a frame's fields; throws std::runtime_error when it is short.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t u8() {
    need(1);
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t u32() {
    need(4);
    uint32_t v;
    std::memcpy(&v, in_.data() + pos_, 4);
    pos_ += 4;
    return v;
  }
  std::string_view str() { return bytes(u32()); }
  std::string_view bytes(uint32_t n) {
    need(n);
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  void need(size_t n) const;
  std::string_view in_;
  size_t pos_ = 0;
};

inline void Reader::need(size_t n) const {
  if (pos_ + n > in_.size()) throw std::runtime_error("a script worker's frame is cut short");
}

/// Writes a whole frame (u32 length + payload) to fd, without copying the payload; false when the
/// peer is gone.
inline bool write_frame(int fd, std::string_view payload) {
  const uint32_t n = static_cast<uint32_t>(payload.size());
  iovec parts[2] = {{const_cast<uint32_t*>(&n), 4},
                    {const_cast<char*>(payload.data()), payload.size()}};
  size_t left = 4 + payload.size();
  iovec* part = parts;
  int count = 2;
  while (left > 0) {
    const ssize_t w = ::writev(fd, part, count);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    left -= static_cast<size_t>(w);
    for (size_t done = static_cast<size_t>(w); done > 0 && count > 0;) {
      const size_t step = std::min(done, part->iov_len);
      part->iov_base = static_cast<char*>(part->iov_base) + step;
      part->iov_len -= step;
      done -= step;
      if (part->iov_len == 0) {
        ++part;
        --count;
      }
    }
  }
  return true;
}

/// Reads a whole frame; false at end of stream (or a cut frame).
inline bool read_frame(int fd, std::string& payload) {
  auto read_all = [fd](char* p, size_t n) {
    for (size_t done = 0; done < n;) {
      const ssize_t r = ::read(fd, p + done, n - done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      done += static_cast<size_t>(r);
    }
    return true;
  };
  uint32_t n = 0;
  if (!read_all(reinterpret_cast<char*>(&n), 4)) return false;
  payload.resize(n);
  return read_all(payload.data(), n);
}

}  // namespace mqmon::script
