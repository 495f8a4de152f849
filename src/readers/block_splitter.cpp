#include "mqmon/readers/block_splitter.h"

#include <algorithm>
#include <cstring>

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
  for (const auto& f : opener_.files()) total_bytes_ += f.size;
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
  bytes_done_ += stream_->raw_bytes_read();
  stream_.reset();
}

bool BlockSplitter::open_next_file() {
  close_stream();
  if (next_file_ >= opener_.files().size()) return false;
  current_file_ = static_cast<uint32_t>(next_file_++);
  stream_ = opener_.open(current_file_);
  eof_ = false;
  carry_size_ = 0;
  first_line_ = 1;
  pending_first_ = true;
  fill(std::max<size_t>(block_size_, 4096));
  if (carry_size_ >= 3 && std::memcmp(carry_.data(), "\xEF\xBB\xBF", 3) == 0) {
    std::memmove(carry_.data(), carry_.data() + 3, carry_size_ - 3);
    carry_size_ -= 3;
  }
  if (!on_file_start_) return true;
  for (;;) {
    uint64_t lines = 0;
    const auto used =
        on_file_start_(current_file_, std::string_view(carry_.data(), carry_size_), eof_, lines);
    if (!used) {
      fill(carry_size_ * 2);  // the header is longer than what we have
      continue;
    }
    first_line_ += lines;
    std::memmove(carry_.data(), carry_.data() + *used, carry_size_ - *used);
    carry_size_ -= *used;
    return true;
  }
}

bool BlockSplitter::next(Block& block) {
  for (;;) {
    if (!stream_ && !open_next_file()) return false;
    if (carry_size_ < block_size_) fill(block_size_);
    if (carry_size_ == 0 && eof_) {
      close_stream();
      continue;
    }
    size_t end = eof_ ? carry_size_ : record_end_(carry_.data(), carry_size_);
    while (end == 0) {  // a record longer than the block: grow until it fits
      fill(carry_size_ * 2 + 1);
      end = eof_ ? carry_size_ : record_end_(carry_.data(), carry_size_);
    }
    block.index = next_index_++;
    block.file = current_file_;
    block.first_in_file = pending_first_;
    block.first_line = first_line_;
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
