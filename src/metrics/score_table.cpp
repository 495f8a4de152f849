#include "mqmon/metrics/score_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <tuple>

#include "mqmon/common/blob.h"
#include "mqmon/common/error.h"

namespace mqmon {

namespace {
uint64_t key_of(double score) {
  if (score == 0) score = 0;  // fold -0 onto +0: they are one threshold
  return std::bit_cast<uint64_t>(score);
}
/// Maps a double's bits onto an unsigned integer with the same order.
uint64_t ordered(uint64_t bits) { return (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63); }
}  // namespace

ScoreTable::ScoreTable() : slots_(1024, 0), mask_(1023) {}

double ScoreTable::score_of(const Entry& e) { return std::bit_cast<double>(e.key); }

ScoreTable::Entry& ScoreTable::slot_for(double score) {
  const uint64_t key = key_of(score);
  for (uint64_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
    const uint32_t s = slots_[i];
    if (s == 0) {
      if ((entries_.size() + 1) * 2 > slots_.size()) {
        grow();
        return slot_for(score);
      }
      entries_.emplace_back().key = key;
      slots_[i] = static_cast<uint32_t>(entries_.size());
      return entries_.back();
    }
    if (entries_[s - 1].key == key) return entries_[s - 1];
  }
}

void ScoreTable::grow() {
  slots_.assign(slots_.size() * 2, 0);
  mask_ = slots_.size() - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    uint64_t i = mix64(entries_[e].key) & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = static_cast<uint32_t>(e + 1);
  }
}

void ScoreTable::spill(Entry& e) {
  auto& wide = spilled_[e.key];
  for (int k = 0; k < kReplicates; ++k) {
    wide[k] += e.rep_pos[k];
    wide[kReplicates + k] += e.rep_neg[k];
    e.rep_pos[k] = e.rep_neg[k] = 0;
  }
}

void ScoreTable::counts(const Entry& e, Counts& pos, Counts& neg) const {
  pos[0] = e.pos;
  neg[0] = e.neg;
  for (int k = 0; k < kReplicates; ++k) {
    pos[k + 1] = e.rep_pos[k];
    neg[k + 1] = e.rep_neg[k];
  }
  if (!spilled_.empty()) {
    if (auto it = spilled_.find(e.key); it != spilled_.end()) {
      for (int k = 0; k < kReplicates; ++k) {
        pos[k + 1] += it->second[k];
        neg[k + 1] += it->second[kReplicates + k];
      }
    }
  }
}

void ScoreTable::add_counts(double score, const Counts& pos, const Counts& neg) {
  Entry& e = slot_for(score);
  e.pos += pos[0];
  e.neg += neg[0];
  // An entry's 32-bit replicate counts stay below 2^31 after a merge, so the 2^31 rows that
  // add() may put on top before its next spill still fit; larger counts go to the side table.
  constexpr uint64_t kRoom = 0x7fffffffu;
  for (int k = 0; k < kReplicates; ++k) {
    for (auto [rep, wide_at, incoming] : {std::tuple{e.rep_pos + k, k, pos[k + 1]},
                                          std::tuple{e.rep_neg + k, kReplicates + k, neg[k + 1]}}) {
      if (*rep + incoming <= kRoom)
        *rep += static_cast<uint32_t>(incoming);
      else
        spilled_[e.key][wide_at] += incoming;
    }
  }
}

void ScoreTable::merge(const ScoreTable& other) {
  Counts pos, neg;
  for (const auto& e : other.entries_) {
    other.counts(e, pos, neg);
    add_counts(score_of(e), pos, neg);
  }
}

std::vector<std::pair<uint64_t, uint32_t>> ScoreTable::descending_order() const {
  std::vector<std::pair<uint64_t, uint32_t>> order(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i)
    order[i] = {~ordered(entries_[i].key), static_cast<uint32_t>(i)};
  std::sort(order.begin(), order.end());
  return order;
}

void ScoreTable::serialize(std::string& out) const {
  blob::put<uint64_t>(out, entries_.size());
  Counts pos, neg;
  for (const auto& e : entries_) {
    counts(e, pos, neg);
    blob::put(out, e.key);
    blob::put(out, pos);
    blob::put(out, neg);
  }
}

void ScoreTable::deserialize(const std::string& in, size_t& pos) {
  *this = ScoreTable();
  const auto n = blob::get<uint64_t>(in, pos);
  if (n > (in.size() - pos) / (sizeof(uint64_t) + 2 * sizeof(Counts)))
    throw DataError("accumulator state is truncated (score table)");
  for (uint64_t i = 0; i < n; ++i) {
    const auto key = blob::get<uint64_t>(in, pos);
    const auto p = blob::get<Counts>(in, pos);
    const auto q = blob::get<Counts>(in, pos);
    add_counts(std::bit_cast<double>(key), p, q);
  }
}

}  // namespace mqmon
