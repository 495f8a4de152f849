#include "mqmon/metrics/score_table.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mqmon/common/error.h"

namespace mqmon {

namespace {
uint64_t key_of(double score) {
  if (score == 0) score = 0;  // fold -0 onto +0: they are one threshold
  return std::bit_cast<uint64_t>(score);
}
}  // namespace

ScoreTable::ScoreTable() : slots_(1024, 0), mask_(1023) {}

ScoreCounts& ScoreTable::slot_for(double score) {
  const uint64_t key = key_of(score);
  for (uint64_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
    const uint32_t s = slots_[i];
    if (s == 0) {
      if ((entries_.size() + 1) * 2 > slots_.size()) {
        grow();
        return slot_for(score);
      }
      entries_.emplace_back();
      entries_.back().score = std::bit_cast<double>(key);
      slots_[i] = static_cast<uint32_t>(entries_.size());
      return entries_.back();
    }
    if (key_of(entries_[s - 1].score) == key) return entries_[s - 1];
  }
}

void ScoreTable::grow() {
  slots_.assign(slots_.size() * 2, 0);
  mask_ = slots_.size() - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    uint64_t i = mix64(key_of(entries_[e].score)) & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = static_cast<uint32_t>(e + 1);
  }
}

void ScoreTable::add_counts(const ScoreCounts& o) {
  ScoreCounts& e = slot_for(o.score);
  for (int k = 0; k <= kReplicates; ++k) {
    e.pos[k] += o.pos[k];
    e.neg[k] += o.neg[k];
  }
}

void ScoreTable::merge(const ScoreTable& other) {
  for (const auto& o : other.entries_) add_counts(o);
}

std::vector<ScoreCounts> ScoreTable::sorted_descending() const {
  std::vector<ScoreCounts> out = entries_;
  std::sort(out.begin(), out.end(), [](const ScoreCounts& a, const ScoreCounts& b) { return a.score > b.score; });
  return out;
}

void ScoreTable::serialize(std::string& out) const {
  const uint64_t n = entries_.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(reinterpret_cast<const char*>(entries_.data()), n * sizeof(ScoreCounts));
}

void ScoreTable::deserialize(const std::string& in, size_t& pos) {
  uint64_t n = 0;
  if (in.size() - pos < sizeof n) throw DataError("accumulator state is truncated (score table)");
  std::memcpy(&n, in.data() + pos, sizeof n);
  pos += sizeof n;
  if (n > (in.size() - pos) / sizeof(ScoreCounts)) throw DataError("accumulator state is truncated (score table)");
  *this = ScoreTable();
  std::vector<ScoreCounts> items(n);
  std::memcpy(static_cast<void*>(items.data()), in.data() + pos, n * sizeof(ScoreCounts));
  pos += n * sizeof(ScoreCounts);
  for (const auto& o : items) add_counts(o);
}

}  // namespace mqmon
