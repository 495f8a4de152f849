#include "mqmon/io/byte_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "mqmon/common/error.h"
#include "mqmon/io/s3_client.h"

namespace mqmon {

namespace fs = std::filesystem;

namespace {

/// True when a key below a prefix has a hidden segment ('.name') or is a folder marker ('a/').
bool hidden_or_marker(std::string_view relative) {
  if (relative.empty() || relative.back() == '/') return true;
  for (size_t pos = 0; pos < relative.size();) {
    if (relative[pos] == '.') return true;
    const size_t slash = relative.find('/', pos);
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return false;
}

std::vector<InputFile> list_s3_dataset(const std::string& uri) {
  const S3Location loc = parse_s3_uri(uri);
  const auto client = shared_s3_client();
  if (!loc.key.empty() && loc.key.back() != '/') {
    if (const auto object = client->head(loc.bucket, loc.key)) {
      InputFile f{loc.uri(), object->size, object->etag};
      f.name = loc.key.substr(loc.key.rfind('/') + 1);
      return {f};
    }
  }
  const std::string prefix = loc.key.empty() || loc.key.back() == '/' ? loc.key : loc.key + "/";
  std::vector<InputFile> files;
  for (auto& o : client->list(loc.bucket, prefix)) {
    if (hidden_or_marker(std::string_view(o.key).substr(prefix.size()))) continue;
    files.push_back({S3Location{loc.bucket, o.key}.uri(), o.size, o.etag});
    files.back().name = o.key.substr(prefix.size());
  }
  std::sort(files.begin(), files.end(),
            [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
  if (files.empty())
    throw IoError(
        fmt::format("dataset '{}' does not exist: no object '{}' and none below 's3://{}/{}'", uri,
                    loc.uri(), loc.bucket, prefix));
  return files;
}

}  // namespace

std::vector<InputFile> list_dataset_files(const std::string& path) {
  if (is_s3_uri(path)) return list_s3_dataset(path);
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw IoError(fmt::format("dataset '{}' does not exist", path));
  std::vector<InputFile> files;
  if (fs::is_directory(st)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) {
        files.push_back({it->path().string(), it->file_size()});
        files.back().name = it->path().lexically_relative(path).generic_string();
      } else if (it->is_symlink() && !fs::exists(it->path(), ec)) {
        throw IoError(fmt::format(
            "dataset directory '{}' holds '{}', a broken symbolic link (to '{}'): remove it, or "
            "restore what it points to",
            path, it->path().string(), fs::read_symlink(it->path(), ec).string()));
      } else if (!it->is_directory()) {
        // Reading a FIFO, socket or device could block forever or never end.
        throw IoError(fmt::format(
            "dataset directory '{}' holds '{}', which is not a regular file ({}): a dataset "
            "holds data files only",
            path, it->path().string(),
            it->is_fifo()     ? "a FIFO"
            : it->is_socket() ? "a socket"
                              : "a device"));
      }
    }
    if (ec)
      throw IoError(fmt::format("cannot list dataset directory '{}': {}", path, ec.message()));
    std::sort(files.begin(), files.end(),
              [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    if (files.empty()) throw IoError(fmt::format("dataset directory '{}' holds no file", path));
  } else {
    files.push_back({path, static_cast<uint64_t>(fs::file_size(path, ec))});
    files.back().name = fs::path(path).filename().string();
  }
  return files;
}

std::string read_whole(const std::string& path) {
  if (is_s3_uri(path)) {
    const S3Location loc = parse_s3_uri(path);
    return shared_s3_client()->get(loc.bucket, loc.key);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("cannot read '{}'", path));
  return std::move(text).str();
}

bool file_exists(const std::string& path) {
  if (is_s3_uri(path)) {
    const S3Location loc = parse_s3_uri(path);
    return shared_s3_client()->head(loc.bucket, loc.key).has_value();
  }
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

namespace {

/// The undecoded bytes of one file, in order.
class RawSource {
 public:
  virtual ~RawSource() = default;
  virtual size_t read(char* buf, size_t n) = 0;
  virtual uint64_t consumed() const = 0;
  virtual const std::string& path() const = 0;
};

class FileHandle final : public RawSource {
 public:
  /// The bytes [begin, end) of the file.
  explicit FileHandle(const std::string& path, uint64_t begin = 0, uint64_t end = UINT64_MAX)
      : path_(path), left_(end - begin) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (begin > 0 && ::lseek(fd_, static_cast<off_t>(begin), SEEK_SET) < 0) {
      const int e = errno;
      ::close(fd_);
      throw IoError(fmt::format("cannot seek in '{}': {}", path, std::strerror(e)));
    }
  }
  ~FileHandle() override { ::close(fd_); }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  size_t read(char* buf, size_t n) override {
    n = static_cast<size_t>(std::min<uint64_t>(n, left_));
    if (n == 0) return 0;
    for (;;) {
      const ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) {
        consumed_ += static_cast<uint64_t>(got);
        left_ -= static_cast<uint64_t>(got);
        return static_cast<size_t>(got);
      }
      if (errno != EINTR)
        throw IoError(fmt::format("cannot read '{}': {}", path_, std::strerror(errno)));
    }
  }
  uint64_t consumed() const override { return consumed_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t consumed_ = 0, left_;
};

/// An S3 object read in order by ranged GETs, kS3Parallel parts in flight ahead of the reader:
/// memory stays at kS3Parallel * kS3Part per open object, whatever its size.
constexpr uint64_t kS3Part = 8 << 20;
constexpr size_t kS3Parallel = 4;

class S3ObjectSource final : public RawSource {
 public:
  /// `first`, when valid, is a fetch of the object's first part already under way.
  /// The object's bytes [file.begin, min(file.end, size)).
  S3ObjectSource(const InputFile& file, std::future<std::string> first)
      : path_(file.path),
        where_(parse_s3_uri(file.path)),
        client_(shared_s3_client()),
        size_(std::min(file.size, file.end)),
        next_offset_(file.begin),
        etag_(file.etag) {
    if (first.valid() && !file.ranged()) {
      queue_.push_back(std::move(first));
      next_offset_ = std::min(kS3Part, size_);
    }
    refill_queue();
  }
  ~S3ObjectSource() override {
    for (auto& f : queue_)
      if (f.valid()) f.wait();
  }

  size_t read(char* buf, size_t n) override {
    while (pos_ == part_.size()) {
      if (queue_.empty()) return 0;
      part_ = queue_.front().get();  // rethrows the part's IoError
      queue_.pop_front();
      pos_ = 0;
      refill_queue();
    }
    const size_t k = std::min(n, part_.size() - pos_);
    std::memcpy(buf, part_.data() + pos_, k);
    pos_ += k;
    consumed_ += k;
    return k;
  }
  uint64_t consumed() const override { return consumed_; }
  const std::string& path() const override { return path_; }

 private:
  void refill_queue() {
    while (queue_.size() < kS3Parallel && next_offset_ < size_) {
      const uint64_t offset = next_offset_, length = std::min(kS3Part, size_ - offset);
      next_offset_ += length;
      queue_.push_back(std::async(std::launch::async, [this, offset, length] {
        return client_->get_range(where_.bucket, where_.key, offset, length, etag_);
      }));
    }
  }

  std::string path_;
  S3Location where_;
  std::shared_ptr<const S3Client> client_;
  uint64_t size_, next_offset_, consumed_ = 0;
  std::string etag_;
  std::deque<std::future<std::string>> queue_;
  std::string part_;
  size_t pos_ = 0;
};

class PlainStream final : public ByteStream {
 public:
  PlainStream(std::unique_ptr<RawSource> f, std::string head)
      : f_(std::move(f)), head_(std::move(head)) {}
  size_t read(char* buf, size_t n) override {
    if (pos_ < head_.size()) {
      const size_t k = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return f_->read(buf, n);
  }
  uint64_t raw_bytes_read() const override { return f_->consumed(); }

 private:
  std::unique_ptr<RawSource> f_;
  std::string head_;
  size_t pos_ = 0;
};

constexpr size_t kInChunk = 1 << 18;

/// Shared input buffering for the two decompressors: `head` holds the sniffed magic bytes.
class CompressedInput {
 public:
  CompressedInput(std::unique_ptr<RawSource> f, std::string head)
      : f_(std::move(f)), buf_(kInChunk) {
    std::memcpy(buf_.data(), head.data(), head.size());
    avail_ = head.size();
  }
  /// Makes at least n bytes available unless the file ends first; returns whether they are.
  bool ensure(size_t n) {
    if (avail_ - pos_ >= n) return true;
    if (buf_.size() < n) buf_.resize(n);
    std::memmove(buf_.data(), buf_.data() + pos_, avail_ - pos_);
    avail_ -= pos_;
    pos_ = 0;
    while (avail_ < n) {
      const size_t k = f_->read(buf_.data() + avail_, buf_.size() - avail_);
      if (k == 0) return false;
      avail_ += k;
    }
    return true;
  }
  /// Refills when empty; returns false at end of file.
  bool fill() {
    if (pos_ < avail_) return true;
    avail_ = f_->read(buf_.data(), buf_.size());
    pos_ = 0;
    return avail_ > 0;
  }
  const char* data() const { return buf_.data() + pos_; }
  size_t size() const { return avail_ - pos_; }
  void consume(size_t n) { pos_ += n; }
  const RawSource& file() const { return *f_; }

 private:
  std::unique_ptr<RawSource> f_;
  std::vector<char> buf_;
  size_t pos_ = 0, avail_ = 0;
};

/// The compressed size of the gzip member at p (n bytes available), when its header declares it
/// as BGZF does (bgzip, htslib): an extra field whose subfield 'BC' holds the size - 1. 0: none.
size_t declared_member_size(const unsigned char* p, size_t n) {
  if (n < 18 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || !(p[3] & 4)) return 0;
  const size_t xlen = p[10] | size_t{p[11]} << 8;
  if (n < 12 + xlen) return 0;
  for (size_t at = 12; at + 4 <= 12 + xlen;) {
    const size_t len = p[at + 2] | size_t{p[at + 3]} << 8;
    if (p[at] == 'B' && p[at + 1] == 'C' && len == 2 && at + 6 <= 12 + xlen)
      return (p[at + 4] | size_t{p[at + 5]} << 8) + 1;
    at += 4 + len;
  }
  return 0;
}

/// gzip by ISA-L's igzip inflate (Debian's libisal: about three times zlib's speed on x86), one
/// member after another (concatenated files), each member's CRC-32 and length checked. Members
/// that declare their compressed size (BGZF) are inflated on every core, a batch of members per
/// task, and handed out in order.
class GzipStream final : public ByteStream {
 public:
  GzipStream(std::unique_ptr<RawSource> f, std::string head) : in_(std::move(f), std::move(head)) {
    parallel_ =
        in_.ensure(18) &&
        declared_member_size(reinterpret_cast<const unsigned char*>(in_.data()), in_.size()) > 0;
  }
  ~GzipStream() override {
    for (auto& t : tasks_)
      if (t.valid()) t.wait();
  }
  size_t read(char* buf, size_t n) override {
    size_t out = 0;
    while (out < n && parallel_) {
      if (pos_ == ready_.size()) {
        queue_batches();
        if (tasks_.empty()) {
          parallel_ = false;  // the rest (if any) is not BGZF: inflate it as a stream
          break;
        }
        ready_ = tasks_.front().get();  // rethrows the batch's IoError
        tasks_.pop_front();
        pos_ = 0;
        queue_batches();
        continue;
      }
      const size_t k = std::min(n - out, ready_.size() - pos_);
      std::memcpy(buf + out, ready_.data() + pos_, k);
      pos_ += k;
      out += k;
    }
    while (out < n) {
      const bool between = !streaming_ || z_.block_state == ISAL_BLOCK_FINISH;
      if (in_.size() == 0 && !in_.fill()) {
        if (!between)
          throw IoError(fmt::format("'{}': gzip stream is truncated", in_.file().path()));
        break;
      }
      if (between) {  // a member follows, or bytes that are not gzip
        const auto* b = reinterpret_cast<const unsigned char*>(in_.data());
        if (b[0] != 0x1f || (in_.size() > 1 && b[1] != 0x8b))
          throw IoError(fmt::format("'{}': the bytes after gzip member {} are not gzip data",
                                    in_.file().path(), members_));
        start_member();
        streaming_ = true;
      }
      z_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in_.data()));
      z_.avail_in = static_cast<uint32_t>(in_.size());
      z_.next_out = reinterpret_cast<uint8_t*>(buf + out);
      z_.avail_out = static_cast<uint32_t>(std::min<size_t>(n - out, UINT32_MAX));
      const uint32_t room = z_.avail_out;
      const int rc = isal_inflate(&z_);
      in_.consume(in_.size() - z_.avail_in);
      out += room - z_.avail_out;
      if (rc < 0)
        throw IoError(fmt::format("'{}': corrupt gzip data ({})", in_.file().path(), what(rc)));
    }
    return out;
  }
  uint64_t raw_bytes_read() const override { return in_.file().consumed(); }

 private:
  static constexpr size_t kBatchBytes = size_t{1} << 20;  // compressed bytes per task

  void start_member() {
    ++members_;
    isal_inflate_init(&z_);
    z_.crc_flag = ISAL_GZIP;  // parse the gzip header, check the trailer's CRC-32 and length
  }
  static const char* what(int rc) {
    switch (rc) {
      case ISAL_INVALID_WRAPPER:
        return "not a gzip header";
      case ISAL_INCORRECT_CHECKSUM:
        return "CRC-32 mismatch";
      case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
      case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
      default:
        return "invalid deflate data";
    }
  }

  /// Starts tasks for the next BGZF members until as many batches as cores are in flight or a
  /// member does not declare its size (left in in_ for the streaming path).
  void queue_batches() {
    static const size_t in_flight = std::max(2u, std::thread::hardware_concurrency());
    while (tasks_.size() < in_flight && !members_end_) {
      std::string batch;
      const int first = members_ + 1;
      while (batch.size() < kBatchBytes) {
        if (!in_.ensure(18)) {
          members_end_ = true;
          break;
        }
        const size_t size =
            declared_member_size(reinterpret_cast<const unsigned char*>(in_.data()), in_.size());
        if (size == 0) {
          members_end_ = true;
          break;
        }
        if (!in_.ensure(size))
          throw IoError(fmt::format("'{}': gzip stream is truncated", in_.file().path()));
        batch.append(in_.data(), size);
        in_.consume(size);
        ++members_;
      }
      if (batch.empty()) break;
      tasks_.push_back(std::async(std::launch::async, [this, first, b = std::move(batch)] {
        return inflate_members(b, first);
      }));
    }
  }

  /// The bytes of the whole BGZF members in `members`, the first of which is member `first`.
  std::string inflate_members(const std::string& members, int first) const {
    std::string out;
    inflate_state z;
    size_t at = 0;
    for (int member = first; at < members.size(); ++member) {
      const auto* p = reinterpret_cast<const unsigned char*>(members.data()) + at;
      const size_t size = declared_member_size(p, members.size() - at);
      if (size < 26)
        throw IoError(fmt::format("'{}': gzip member {} is too short", path(), member));
      const size_t length = p[size - 4] | size_t{p[size - 3]} << 8 | size_t{p[size - 2]} << 16 |
                            size_t{p[size - 1]} << 24;  // ISIZE: the bytes it holds
      const size_t base = out.size();
      out.resize(base + length + 1);  // one byte more: a longer member is caught
      isal_inflate_init(&z);
      z.crc_flag = ISAL_GZIP;
      z.next_in = const_cast<uint8_t*>(p);
      z.avail_in = static_cast<uint32_t>(size);
      z.next_out = reinterpret_cast<uint8_t*>(out.data() + base);
      z.avail_out = static_cast<uint32_t>(length + 1);
      const int rc = isal_inflate(&z);
      if (rc < 0)
        throw IoError(
            fmt::format("'{}': corrupt gzip data ({}) in member {}", path(), what(rc), member));
      if (z.block_state != ISAL_BLOCK_FINISH || z.avail_in != 0 || z.avail_out != 1)
        throw IoError(
            fmt::format("'{}': gzip member {} does not hold the size it declares", path(), member));
      out.resize(base + length);
      at += size;
    }
    return out;
  }
  const std::string& path() const { return in_.file().path(); }

  CompressedInput in_;
  inflate_state z_;
  int members_ = 0;
  bool parallel_ = false, members_end_ = false, streaming_ = false;
  std::deque<std::future<std::string>> tasks_;
  std::string ready_;
  size_t pos_ = 0;
};

class ZstdStream final : public ByteStream {
 public:
  ZstdStream(std::unique_ptr<RawSource> f, std::string head)
      : in_(std::move(f), std::move(head)), z_(ZSTD_createDStream()) {
    if (!z_) throw IoError("cannot initialise zstd");
  }
  ~ZstdStream() override { ZSTD_freeDStream(z_); }
  size_t read(char* buf, size_t n) override {
    ZSTD_outBuffer ob{buf, n, 0};
    while (ob.pos < n) {
      if (in_.size() == 0 && !in_.fill()) {
        if (!frame_done_)
          throw IoError(fmt::format("'{}': zstd stream is truncated", in_.file().path()));
        break;
      }
      ZSTD_inBuffer ib{in_.data(), in_.size(), 0};
      const size_t rc = ZSTD_decompressStream(z_, &ob, &ib);
      in_.consume(ib.pos);
      if (ZSTD_isError(rc))
        throw IoError(
            fmt::format("'{}': corrupt zstd data ({})", in_.file().path(), ZSTD_getErrorName(rc)));
      frame_done_ = rc == 0;
    }
    return ob.pos;
  }
  uint64_t raw_bytes_read() const override { return in_.file().consumed(); }

 private:
  CompressedInput in_;
  ZSTD_DStream* z_;
  bool frame_done_ = true;
};

}  // namespace

static std::unique_ptr<ByteStream> open_stream(const InputFile& file,
                                               std::future<std::string> first) {
  std::unique_ptr<RawSource> f;
  if (is_s3_uri(file.path))
    f = std::make_unique<S3ObjectSource>(file, std::move(first));
  else
    f = std::make_unique<FileHandle>(file.path, file.begin, file.end);
  if (file.ranged()) return std::make_unique<PlainStream>(std::move(f), std::string());  // plain
  std::string head(4, '\0');
  size_t got = 0;
  while (got < head.size()) {
    const size_t k = f->read(head.data() + got, head.size() - got);
    if (k == 0) break;
    got += k;
  }
  head.resize(got);
  const auto u = [&](size_t i) { return static_cast<unsigned char>(head[i]); };
  if (got >= 2 && u(0) == 0x1f && u(1) == 0x8b)
    return std::make_unique<GzipStream>(std::move(f), std::move(head));
  if (got >= 4 && u(0) == 0x28 && u(1) == 0xb5 && u(2) == 0x2f && u(3) == 0xfd)
    return std::make_unique<ZstdStream>(std::move(f), std::move(head));
  return std::make_unique<PlainStream>(std::move(f), std::move(head));
}

namespace {

/// The raw bytes [offset, offset + length) of a file (fewer at its end).
std::string read_range(const InputFile& file, uint64_t offset, uint64_t length) {
  if (offset >= file.size) return {};
  length = std::min(length, file.size - offset);
  if (is_s3_uri(file.path)) {
    const S3Location where = parse_s3_uri(file.path);
    return shared_s3_client()->get_range(where.bucket, where.key, offset, length, file.etag);
  }
  FileHandle f(file.path, offset, offset + length);
  std::string out(length, '\0');
  size_t got = 0;
  while (got < length) {
    const size_t k = f.read(out.data() + got, length - got);
    if (k == 0) break;
    got += k;
  }
  out.resize(got);
  return out;
}

}  // namespace

uint64_t align_to_record(const InputFile& file, uint64_t at) {
  if (at == 0 || at >= file.size) return std::min(at, file.size);
  constexpr uint64_t kStep = 64 << 10;
  for (uint64_t from = at - 1; from < file.size; from += kStep) {
    const std::string chunk = read_range(file, from, kStep);
    if (chunk.empty()) break;
    if (const auto nl = chunk.find('\n'); nl != std::string::npos) return from + nl + 1;
  }
  return file.size;
}

bool is_compressed(const InputFile& file) {
  const std::string head = read_range(file, 0, 4);
  const auto u = [&](size_t i) { return static_cast<unsigned char>(head[i]); };
  return (head.size() >= 2 && u(0) == 0x1f && u(1) == 0x8b) ||
         (head.size() >= 4 && u(0) == 0x28 && u(1) == 0xb5 && u(2) == 0x2f && u(3) == 0xfd);
}

uint64_t count_line_breaks(const InputFile& file, uint64_t end) {
  InputFile whole = file;
  whole.begin = 0;
  whole.end = UINT64_MAX;
  auto stream = open_stream(whole, {});
  std::vector<char> buf(1 << 20);
  uint64_t lines = 0;
  for (uint64_t left = end; left > 0;) {
    const size_t k =
        stream->read(buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), left)));
    if (k == 0) break;
    lines += static_cast<uint64_t>(std::count(buf.data(), buf.data() + k, '\n'));
    left -= k;
  }
  return lines;
}

struct SequentialOpener::Ahead {
  std::map<size_t, std::future<std::string>> first_parts;  // file index -> whole small object
  size_t scheduled_until = 0;                              // files below this were considered
};

SequentialOpener::SequentialOpener(std::vector<InputFile> files)
    : files_(std::move(files)), ahead_(std::make_unique<Ahead>()) {}

SequentialOpener::~SequentialOpener() = default;

std::unique_ptr<ByteStream> SequentialOpener::open(size_t index) {
  constexpr uint64_t kSmallObject = 1 << 20;
  auto& ahead = *ahead_;
  for (size_t j = std::max(ahead.scheduled_until, index); j < files_.size() && j <= index + kAhead;
       ++j) {
    const InputFile& f = files_[j];
    if (is_s3_uri(f.path) && f.size > 0 && f.size <= kSmallObject) {
      ahead.first_parts.emplace(
          j, std::async(std::launch::async,
                        [client = shared_s3_client(), where = parse_s3_uri(f.path), f] {
                          return client->get_range(where.bucket, where.key, 0, f.size, f.etag);
                        }));
    }
    ahead.scheduled_until = j + 1;
  }
  std::future<std::string> first;
  if (auto it = ahead.first_parts.find(index); it != ahead.first_parts.end()) {
    first = std::move(it->second);
    ahead.first_parts.erase(it);
  }
  return open_stream(files_[index], std::move(first));
}

}  // namespace mqmon
