#pragma once
/// Interning of label text: each distinct raw text is canonicalized once, and rows carry
/// small integer ids, so the hot loop never allocates or compares strings.

#include <array>
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
                  bool canonicalize = true) {
    // Labels that are small integers (0/1, class numbers) are their own canonical form under
    // every --label-type: after their first sight they are found by value, with no hashing and
    // no string compare.
    const size_t n = raw.size();
    if (n - 1 < 3) {
      const unsigned d0 = static_cast<unsigned char>(raw[0]) - '0';
      const unsigned d1 = n > 1 ? static_cast<unsigned char>(raw[1]) - '0' : 0;
      const unsigned d2 = n > 2 ? static_cast<unsigned char>(raw[2]) - '0' : 0;
      if (d0 <= 9 && d1 <= 9 && d2 <= 9 && (d0 != 0 || n == 1)) {
        const unsigned v = n == 1 ? d0 : n == 2 ? d0 * 10 + d1 : d0 * 100 + d1 * 10 + d2;
        if (small_[v] == 0) small_[v] = intern_text(raw, position, line, role, canonicalize) + 1;
        return small_[v] - 1;
      }
    }
    return intern_text(raw, position, line, role, canonicalize);
  }

  const std::vector<Entry>& entries() const { return entries_; }
  void clear();

 private:
  uint32_t intern_text(std::string_view raw, uint64_t position, uint64_t line, LabelRole role,
                       bool canonicalize);

  std::array<uint32_t, 1000> small_{};  // id + 1 of the labels "0" to "999"; 0: not yet seen
  // Most columns hold a handful of distinct texts: a short list beats hashing.
  std::vector<std::pair<std::string, uint32_t>> recent_;
  std::unordered_map<std::string, uint32_t> raw_to_id_;
  std::unordered_map<std::string, uint32_t> canonical_to_id_;
  std::vector<Entry> entries_;
};

}  // namespace mqmon
