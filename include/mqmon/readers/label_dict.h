#pragma once
/// Interning of label text: each distinct raw text is canonicalized once, and rows carry
/// small integer ids, so the hot loop never allocates or compares strings.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mqmon {

/// Which attribute a label was read from (for error messages).
enum class LabelRole : uint8_t { kGroundTruth = 0, kInference = 1 };

/// Canonical labels of one batch, each with where it first occurred in the batch.
class LabelDict {
 public:
  struct Entry {
    std::string canonical;
    uint64_t first_position = 0;  ///< byte offset of its record within the block (or row index)
    uint64_t first_line = 0;      ///< line offset within the batch
    LabelRole first_role = LabelRole::kGroundTruth;
    std::string first_raw;  ///< the text as written at the first occurrence
  };

  /// Returns the id of the canonical label of `raw` (canonical_label when `canonicalize`, else
  /// `raw` itself), adding it on first sight.
  uint32_t intern(std::string_view raw, uint64_t position, uint64_t line, LabelRole role,
                  bool canonicalize = true);

  const std::vector<Entry>& entries() const { return entries_; }
  void clear();

 private:
  // Most columns hold a handful of distinct texts: a short list beats hashing.
  std::vector<std::pair<std::string, uint32_t>> recent_;
  std::unordered_map<std::string, uint32_t> raw_to_id_;
  std::unordered_map<std::string, uint32_t> canonical_to_id_;
  std::vector<Entry> entries_;
};

}  // namespace mqmon
