#pragma once
/// ByteSource: the files of a dataset, and a decoded byte stream for each (plain, gzip or zstd,
/// detected by magic bytes). A path is a local path or an s3:// URI; S3 objects are read by
/// parallel ranged GETs.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mqmon {

/// One input file of a dataset.
struct InputFile {
  InputFile() = default;
  InputFile(std::string path_, uint64_t size_, std::string etag_ = "")
      : path(std::move(path_)), size(size_), etag(std::move(etag_)) {}

  std::string path;   ///< local path or s3://bucket/key
  uint64_t size = 0;  ///< bytes on disk (compressed size for compressed files)
  std::string etag;   ///< S3 objects: the version listed, so a change during the read is caught
  /// The name below the dataset's root ("2024/part-1.csv"; a lone file: its base name), the same
  /// for a local copy and an S3 copy of a dataset. It keys the subsample of the file's records.
  std::string name;
  /// A shard of a plain file: the bytes [begin, end), both at record starts (see
  /// align_to_record). Default: the whole file.
  uint64_t begin = 0, end = UINT64_MAX;
  bool ranged() const { return begin > 0 || end < size; }
};

/// The files of a dataset: the file itself, or every regular file below a directory in sorted path
/// order (as the service reads a dataset prefix). Hidden files and folders (a name starting with
/// '.') are skipped. For s3://bucket/key: the object itself if it exists, else every object below
/// key + '/' in key order (folder markers skipped). Throws IoError when the path does not exist or
/// a directory holds no file.
std::vector<InputFile> list_dataset_files(const std::string& path);

/// The first record start at or after `at` in a plain file: `at` itself when it is 0, the file's
/// size or just after a line break; else the byte after the first line break past `at`. Two
/// neighbouring byte ranges that meet at `at` agree on it without seeing each other. Throws
/// IoError.
uint64_t align_to_record(const InputFile& file, uint64_t at);

/// Whether the file starts with gzip's or zstd's magic bytes (such a file is a shard of its own).
bool is_compressed(const InputFile& file);

/// The line breaks in the decoded bytes [0, end) of a file: the line number of the record at
/// `end`, minus one (a ranged shard's first line, a record too long to read). Throws IoError.
uint64_t count_line_breaks(const InputFile& file, uint64_t end);

/// The whole content of a small local file or S3 object (constraints). Throws IoError.
std::string read_whole(const std::string& path);

/// Whether a local file or S3 object exists (errors other than "not found" throw IoError).
bool file_exists(const std::string& path);

/// Sequential reader of one file's decoded bytes.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  /// Reads up to n decoded bytes into buf; returns 0 only at the end of the stream.
  virtual size_t read(char* buf, size_t n) = 0;
  /// Bytes consumed from the underlying file so far (for progress against InputFile::size).
  virtual uint64_t raw_bytes_read() const = 0;
};

/// Opens the files of a dataset one after the other, each with the decoder its first bytes call
/// for: gzip (1f 8b, multi-member files included), zstd (28 b5 2f fd, multi-frame), else plain.
/// Small S3 objects (up to 1 MiB) are fetched kAhead files ahead of the one being read, so a
/// prefix of many small objects does not cost a round trip each.
class SequentialOpener {
 public:
  static constexpr size_t kAhead = 16;
  explicit SequentialOpener(std::vector<InputFile> files);
  ~SequentialOpener();
  SequentialOpener(const SequentialOpener&) = delete;
  SequentialOpener& operator=(const SequentialOpener&) = delete;

  const std::vector<InputFile>& files() const { return files_; }
  /// Opens files()[index]; indices are asked for in increasing order. Throws IoError.
  std::unique_ptr<ByteStream> open(size_t index);

 private:
  struct Ahead;
  std::vector<InputFile> files_;
  std::unique_ptr<Ahead> ahead_;
};

}  // namespace mqmon
