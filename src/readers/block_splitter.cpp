#include "mqmon/readers/block_splitter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "mqmon/common/error.h"

namespace mqmon {

size_t last_line_end(const char* p, size_t n) {
  const void* nl = memrchr(p, '\n', n);
  return nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
}

BlockSplitter::BlockSplitter(std::vector<InputFile> files, size_t block_size, RecordEnd record_end,
                             FileStart on_file_start)
    : opener_(std::move(files)),
      block_size_(std::max<size_t>(block_size, 1)),
      record_end_(record_end),
      on_file_start_(std::move(on_file_start)) {
  for (const auto& f : opener_.files()) total_bytes_ += std::min(f.end, f.size) - f.begin;
}

void BlockSplitter::fill(size_t want) {
  if (carry_.size() < want) carry_.resize(want);
  while (carry_size_ < want && !eof_) {
    const size_t k = stream_->read(carry_.data() + carry_size_, want - carry_size_);
    if (k == 0) eof_ = true;
    carry_size_ += k;
  }
}

void BlockSplitter::close_stream() {
  if (!stream_) return;
  const uint64_t read = stream_->raw_bytes_read();
  bytes_done_ += read;
  stream_.reset();
  // A file that shrank or grew while it was read would give a silently different result.
  const InputFile& f = opener_.files()[current_file_];
  const uint64_t listed = std::min(f.end, f.size) - f.begin;
  if (eof_ && read != listed)
    throw IoError(
        fmt::format("'{}' changed while it was read: {} bytes read of the {} it had when "
                    "the dataset was listed; read it again once it is complete",
                    f.path, read, listed));
}

bool BlockSplitter::open_next_file() {
  close_stream();
  if (next_file_ >= opener_.files().size()) return false;
  current_file_ = static_cast<uint32_t>(next_file_++);
  const InputFile& file = opener_.files()[current_file_];
  first_line_ = 1;
  pending_first_ = true;
  offset_ = 0;
  if (file.begin > 0) {
    // A shard from the middle of a file: the header comes from the file's start, the records
    // from the shard's bytes.
    if (on_file_start_) {
      InputFile head = file;
      head.begin = 0;
      head.end = file.begin;
      stream_ = SequentialOpener({head}).open(0);
      read_file_start(true);
    }
    stream_ = opener_.open(current_file_);
    eof_ = false;
    carry_size_ = 0;
    offset_ = file.begin;
    return true;
  }
  stream_ = opener_.open(current_file_);
  read_file_start(false);
  return true;
}

void BlockSplitter::read_file_start(bool header_only) {
  eof_ = false;
  carry_size_ = 0;
  fill(std::max<size_t>(block_size_, 4096));
  if (carry_size_ >= 3 && std::memcmp(carry_.data(), "\xEF\xBB\xBF", 3) == 0) {
    std::memmove(carry_.data(), carry_.data() + 3, carry_size_ - 3);
    carry_size_ -= 3;
    offset_ += 3;
  }
  if (!on_file_start_) return;
  for (;;) {
    uint64_t lines = 0;
    const auto used =
        on_file_start_(current_file_, std::string_view(carry_.data(), carry_size_), eof_, lines);
    if (!used) {
      if (carry_size_ > kMaxRecordBytes) record_too_long();
      fill(std::min(carry_size_ * 2, kMaxRecordBytes + 1));  // a header longer than what we have
      continue;
    }
    if (header_only) return;
    first_line_ += lines;
    offset_ += *used;
    std::memmove(carry_.data(), carry_.data() + *used, carry_size_ - *used);
    carry_size_ -= *used;
    return;
  }
}

void BlockSplitter::record_too_long() const {
  // Where the record starts, in lines: counted through the file's decoded bytes, only now.
  const InputFile& file = opener_.files()[current_file_];
  const uint64_t lines = count_line_breaks(file, offset_);
  throw ParseError(Location{file.path, lines + 1, 0, ""},
                   fmt::format("a record longer than {} MiB: no line break ends it (a binary "
                               "file, or one JSON document over many lines?)",
                               kMaxRecordBytes >> 20),
                   std::string(carry_.data(), std::min<size_t>(carry_size_, 40)));
}

uint64_t BlockSplitter::lines_before(uint32_t file) const {
  const InputFile& f = opener_.files().at(file);
  if (f.begin == 0) return 0;
  std::lock_guard l(lines_mutex_);
  auto it = lines_before_.find(file);
  if (it == lines_before_.end())
    it = lines_before_.emplace(file, count_line_breaks(f, f.begin)).first;
  return it->second;
}

bool BlockSplitter::next(Block& block) {
  for (;;) {
    if (!stream_ && !open_next_file()) return false;
    // The first blocks are smaller (64 KiB, doubling up to the block size), so that every worker
    // has rows to parse soon after the start.
    const size_t target =
        next_index_ < 8 ? std::min(block_size_, (size_t{64} << 10) << next_index_) : block_size_;
    if (carry_size_ < target) fill(target);
    if (carry_size_ == 0 && eof_) {
      close_stream();
      continue;
    }
    const InputFile& file = opener_.files()[current_file_];
    if (eof_ && file.end < file.size && record_end_(carry_.data(), carry_size_) != carry_size_)
      throw DataError(fmt::format(
          "'{}': the shard of bytes {}:{} ends inside a record (a quoted field holds a line "
          "break near byte {}); a CSV file whose quoted fields hold line breaks can be sharded "
          "by whole files only",
          file.path, file.begin, file.end, file.end));
    auto cut = [&](size_t n) {
      return eof_ && n == carry_size_ ? n : record_end_(carry_.data(), n);
    };
    size_t end = cut(std::min(carry_size_, target));
    if (end == 0 && carry_size_ > target) end = cut(carry_size_);
    while (end == 0) {  // a record longer than the block: grow until it fits, up to a bound
      if (carry_size_ > kMaxRecordBytes) record_too_long();
      fill(std::min(carry_size_ * 2 + 1, kMaxRecordBytes + 1));
      end = eof_ ? carry_size_ : record_end_(carry_.data(), carry_size_);
    }
    block.index = next_index_++;
    block.file = current_file_;
    block.first_in_file = pending_first_;
    block.first_line = first_line_;
    block.offset = offset_;
    offset_ += end;
    pending_first_ = false;
    if (block.data.size() < end + kBlockPadding)
      block.data.resize(std::max(end, block_size_) + kBlockPadding);
    std::memcpy(block.data.data(), carry_.data(), end);
    std::memset(block.data.data() + end, 0, kBlockPadding);
    block.size = end;
    std::memmove(carry_.data(), carry_.data() + end, carry_size_ - end);
    carry_size_ -= end;
    return true;
  }
}

}  // namespace mqmon
