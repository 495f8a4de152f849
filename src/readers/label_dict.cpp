#include "mqmon/readers/label_dict.h"

#include "mqmon/common/numbers.h"

namespace mqmon {

uint32_t LabelDict::intern_text(std::string_view raw, uint64_t position, uint64_t line,
                                LabelRole role, bool canonicalize) {
  // The caches map raw text to ids; a dictionary is used with one canonicalization setting.
  for (const auto& [text, id] : recent_)
    if (text == raw) return id;
  uint32_t id;
  if (auto it = raw_to_id_.find(std::string(raw)); it != raw_to_id_.end()) {
    id = it->second;
  } else {
    std::string canon = canonicalize ? canonical_label(raw) : std::string(raw);
    auto [cit, inserted] = canonical_to_id_.emplace(canon, static_cast<uint32_t>(entries_.size()));
    if (inserted) entries_.push_back({std::move(canon), position, line, role, std::string(raw)});
    id = cit->second;
    raw_to_id_.emplace(std::string(raw), id);
  }
  if (recent_.size() < 8) recent_.emplace_back(std::string(raw), id);
  return id;
}

void LabelDict::clear() {
  small_.fill(0);
  recent_.clear();
  raw_to_id_.clear();
  canonical_to_id_.clear();
  entries_.clear();
}

}  // namespace mqmon
