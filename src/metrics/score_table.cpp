#include "mqmon/metrics/score_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <numeric>
#include <queue>

#include "mqmon/common/blob.h"
#include "mqmon/common/error.h"

namespace mqmon {

namespace {
constexpr uint64_t kSign = uint64_t{1} << 63;
constexpr size_t kMinFlush = size_t{1} << 20;
constexpr size_t kMaxFlush = size_t{1} << 20;  // bounds the row buffer: ~19 MB with its scratch
constexpr uint32_t kMaxTotal = UINT32_MAX;
constexpr uint16_t kMaxReplicate = UINT16_MAX;
}  // namespace

uint64_t ScoreTable::sort_key(double score) {
  if (score == 0) score = 0;  // -0 and +0 are one threshold
  const uint64_t bits = std::bit_cast<uint64_t>(score);
  const uint64_t ordered = (bits & kSign) ? ~bits : bits | kSign;  // ascending with the value
  return ~ordered;  // ascending key = descending score
}

double ScoreTable::score_of(uint64_t key) {
  const uint64_t ordered = ~key;
  return std::bit_cast<double>((ordered & kSign) ? ordered & ~kSign : ~ordered);
}

ScoreTable::ScoreTable() : slots_(1024, 0), mask_(1023) {}

ScoreTable::Entry& ScoreTable::slot_for(uint64_t key) {
  for (uint64_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
    const uint32_t s = slots_[i];
    if (s == 0) {
      if ((entries_.size() + 1) * 2 > slots_.size()) {
        grow();
        return slot_for(key);
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

void ScoreTable::bump(Entry& e, bool positive, unsigned mask) {
  uint32_t& total = positive ? e.pos : e.neg;
  uint16_t* rep = positive ? e.rep_pos : e.rep_neg;
  if (total == kMaxTotal || std::any_of(rep, rep + kReplicates, [](uint16_t r) {
        return r == kMaxReplicate;
      })) [[unlikely]] {
    // Move this class's narrow counts to the wide table before one could wrap.
    auto& wide = positive ? wide_[e.key].first : wide_[e.key].second;
    wide[0] += total;
    total = 0;
    for (int k = 0; k < kReplicates; ++k) {
      wide[k + 1] += rep[k];
      rep[k] = 0;
    }
  }
  ++total;
  for (int k = 0; k < kReplicates; ++k) rep[k] = static_cast<uint16_t>(rep[k] + ((mask >> k) & 1u));
}

void ScoreTable::add_counts(Entry& e, const Counts& pos, const Counts& neg) const {
  auto add = [&](auto& narrow, uint64_t incoming, uint64_t limit, bool positive, int column) {
    if (narrow + incoming <= limit) {
      narrow = static_cast<std::remove_reference_t<decltype(narrow)>>(narrow + incoming);
    } else {
      auto& wide = positive ? wide_[e.key].first : wide_[e.key].second;
      wide[column] += incoming;
    }
  };
  add(e.pos, pos[0], kMaxTotal - 1, true, 0);
  add(e.neg, neg[0], kMaxTotal - 1, false, 0);
  for (int k = 0; k < kReplicates; ++k) {
    add(e.rep_pos[k], pos[k + 1], kMaxReplicate - 1, true, k + 1);
    add(e.rep_neg[k], neg[k + 1], kMaxReplicate - 1, false, k + 1);
  }
}

void ScoreTable::counts(const Entry& e, Counts& pos, Counts& neg) const {
  pos[0] = e.pos;
  neg[0] = e.neg;
  for (int k = 0; k < kReplicates; ++k) {
    pos[k + 1] = e.rep_pos[k];
    neg[k + 1] = e.rep_neg[k];
  }
  add_wide(e.key, pos, neg);
}

void ScoreTable::add_wide(uint64_t key, Counts& pos, Counts& neg) const {
  if (wide_.empty()) return;
  if (auto it = wide_.find(key); it != wide_.end()) {
    for (int k = 0; k <= kReplicates; ++k) {
      pos[k] += it->second.first[k];
      neg[k] += it->second.second[k];
    }
  }
}

void ScoreTable::single_counts(const Pending& p, Counts& pos, Counts& neg) {
  pos.fill(0);
  neg.fill(0);
  Counts& c = (p.tag & 1u) ? pos : neg;
  c[0] = 1;
  for (int k = 0; k < kReplicates; ++k) c[k + 1] = (p.tag >> (k + 1)) & 1u;
}

size_t ScoreTable::size() const {
  settle();
  if (runs_.empty()) return entries_.size() + singles_.size();
  size_t n = 0;
  merge_runs([&](uint64_t, const Counts&, const Counts&) { ++n; });
  return n;
}

std::vector<uint64_t> ScoreTable::split_keys(size_t parts) const {
  settle();
  std::vector<uint64_t> keys;
  if (!sorted_ || parts < 2) return keys;  // hash mode: few scores, one range
  // Quantiles of the largest array of keys: the runs of a dataset's parts spread alike.
  const std::vector<Entry>* entries = &entries_;
  const std::vector<Pending>* singles = &singles_;
  for (const auto& r : runs_) {
    if (r.entries.size() > entries->size()) entries = &r.entries;
    if (r.singles.size() > singles->size()) singles = &r.singles;
  }
  auto quantiles = [&](const auto& v) {
    for (size_t i = 1; i < parts; ++i) {
      const size_t at = v.size() * i / parts;
      if (at == 0 || at >= v.size()) continue;
      const uint64_t key = v[at].key;
      if (keys.empty() || key > keys.back()) keys.push_back(key);
    }
  };
  if (singles->size() > entries->size())
    quantiles(*singles);
  else
    quantiles(*entries);
  return keys;
}

void ScoreTable::release_buffers() const {
  std::vector<Pending>().swap(pending_);
  std::vector<Pending>().swap(scratch_);
  std::vector<Entry>().swap(spare_);
  std::vector<Pending>().swap(spare_singles_);
}

void ScoreTable::absorb(ScoreTable&& other) {
  // One merge buffer alive at a time: settle and free the other's before settling ours.
  other.settle();
  other.release_buffers();
  settle();
  if (!sorted_ && !other.sorted_ && entries_.size() + other.entries_.size() <= kHashLimit) {
    merge(other);
    return;
  }
  if (!sorted_) to_sorted();
  if (!other.sorted_) other.to_sorted();
  release_buffers();
  for (auto& [key, w] : other.wide_) {
    auto& mine = wide_[key];
    for (int k = 0; k <= kReplicates; ++k) {
      mine.first[k] += w.first[k];
      mine.second[k] += w.second[k];
    }
  }
  runs_.push_back(Run{std::move(other.entries_), std::move(other.singles_)});
  for (auto& run : other.runs_) runs_.push_back(std::move(run));
  other = ScoreTable();
  // Reading k runs costs k per key: past kMaxRuns they are merged into one (partial results
  // absorbed by the dozen).
  if (runs_.size() >= kMaxRuns) compact_runs();
}

void ScoreTable::compact_runs() {
  // One pass over every run's narrow counts (the wide side table already holds every run's wide
  // counts): a key one row carries stays a single, the others become entries, where a sum that
  // would overflow an entry's field goes to the wide table.
  std::vector<Entry> entries;
  std::vector<Pending> singles;
  merge_runs(
      [&](uint64_t key, const Counts& pos, const Counts& neg) {
        if (pos[0] + neg[0] == 1) {
          const Counts& c = pos[0] ? pos : neg;
          unsigned tag = pos[0] ? 1u : 0u;
          for (int k = 0; k < kReplicates; ++k)
            tag |= static_cast<unsigned>(c[k + 1] != 0) << (k + 1);
          singles.push_back({key, static_cast<uint8_t>(tag)});
          return;
        }
        entries.emplace_back().key = key;
        add_counts(entries.back(), pos, neg);
      },
      0, UINT64_MAX, true);
  runs_.clear();
  entries_.swap(entries);
  singles_.swap(singles);
  rearm();
}

void ScoreTable::expand_singles() {
  if (singles_.empty()) return;
  std::vector<Entry> run;
  run.reserve(singles_.size());
  for (const Pending& p : singles_) run.emplace_back().key = p.key;
  const Pending* base = singles_.data();
  const Entry* first = run.data();
  merge_run(run, [&](const Entry& e, Counts& pos, Counts& neg) {
    single_counts(base[&e - first], pos, neg);
  });
  std::vector<Pending>().swap(singles_);
}

std::vector<uint32_t> ScoreTable::hash_order() const {
  std::vector<uint32_t> order(entries_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return entries_[a].key < entries_[b].key; });
  return order;
}

void ScoreTable::to_sorted() {
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  std::vector<uint32_t>().swap(slots_);
  sorted_ = true;
  rearm();
}

void ScoreTable::rearm() const {
  flush_at_ = std::clamp(entries_.size() + singles_.size(), kMinFlush, kMaxFlush);
}

namespace {
/// LSD radix sort by key, 8 bits a pass, skipping bytes that are the same in every key.
template <typename T>
void radix_sort(std::vector<T>& v, std::vector<T>& scratch) {
  const size_t n = v.size();
  if (n < 2) return;
  scratch.resize(n);
  std::vector<std::array<size_t, 256>> hist(8, std::array<size_t, 256>{});
  for (const T& p : v) {
    const uint64_t k = p.key;
    for (int d = 0; d < 8; ++d) ++hist[d][(k >> (8 * d)) & 0xff];
  }
  T* src = v.data();
  T* dst = scratch.data();
  for (int d = 0; d < 8; ++d) {
    if (hist[d][(src[0].key >> (8 * d)) & 0xff] == n) continue;
    size_t offset[256];
    size_t sum = 0;
    for (int b = 0; b < 256; ++b) {
      offset[b] = sum;
      sum += hist[d][b];
    }
    for (size_t i = 0; i < n; ++i) dst[offset[(src[i].key >> (8 * d)) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  if (src != v.data()) v.swap(scratch);
}
}  // namespace

template <typename CountsOf>
void ScoreTable::merge_run(const std::vector<Entry>& run, CountsOf&& counts_of) const {
  // Into the spare buffer, which keeps its capacity between merges (no fresh pages each time).
  spare_.clear();
  spare_.reserve(entries_.size() + run.size());
  size_t i = 0, j = 0;
  Counts pos, neg;
  while (i < entries_.size() || j < run.size()) {
    if (j == run.size() || (i < entries_.size() && entries_[i].key < run[j].key)) {
      spare_.push_back(entries_[i++]);
      continue;
    }
    if (i < entries_.size() && entries_[i].key == run[j].key) {
      spare_.push_back(entries_[i++]);
    } else {
      spare_.emplace_back().key = run[j].key;
    }
    counts_of(run[j++], pos, neg);
    add_counts(spare_.back(), pos, neg);
  }
  entries_.swap(spare_);
}

void ScoreTable::settle() const {
  if (pending_.empty()) return;
  radix_sort(pending_, scratch_);
  // One pass over the sorted rows and the run's entries and singles: a key keeps a single only
  // while one row carries it.
  spare_.clear();
  spare_singles_.clear();
  spare_.reserve(entries_.size() + pending_.size() / 8);
  spare_singles_.reserve(singles_.size() + pending_.size());
  size_t e = 0, u = 0, j = 0;
  const size_t ne = entries_.size(), nu = singles_.size(), np = pending_.size();
  Counts pos, neg;
  while (j < np) {
    const uint64_t key = pending_[j].key;
    // Keys of the run below the next row's are copied as they are.
    while (e < ne && entries_[e].key < key) spare_.push_back(entries_[e++]);
    while (u < nu && singles_[u].key < key) spare_singles_.push_back(singles_[u++]);
    size_t last = j + 1;
    while (last < np && pending_[last].key == key) ++last;
    const bool in_entries = e < ne && entries_[e].key == key;
    const bool in_singles = !in_entries && u < nu && singles_[u].key == key;
    if (!in_entries && !in_singles && last == j + 1) {
      spare_singles_.push_back(pending_[j]);  // a new key one row carries
      j = last;
      continue;
    }
    if (in_entries) {
      spare_.push_back(entries_[e++]);
    } else {
      spare_.emplace_back().key = key;
    }
    if (in_singles) {
      single_counts(singles_[u++], pos, neg);
    } else {
      pos.fill(0);
      neg.fill(0);
    }
    for (; j < last; ++j) {
      const unsigned tag = pending_[j].tag;
      Counts& c = (tag & 1u) ? pos : neg;
      ++c[0];
      for (int k = 0; k < kReplicates; ++k) c[k + 1] += (tag >> (k + 1)) & 1u;
    }
    add_counts(spare_.back(), pos, neg);
  }
  spare_.insert(spare_.end(), entries_.begin() + static_cast<std::ptrdiff_t>(e), entries_.end());
  spare_singles_.insert(spare_singles_.end(), singles_.begin() + static_cast<std::ptrdiff_t>(u),
                        singles_.end());
  entries_.swap(spare_);
  singles_.swap(spare_singles_);
  pending_.clear();
  rearm();
  pending_.reserve(flush_at_);
}

void ScoreTable::merge(const ScoreTable& other) {
  other.settle();
  if (!runs_.empty() || !other.runs_.empty()) {
    // Rare (a state merged after absorbing): fold everything into one run first.
    std::vector<std::pair<uint64_t, std::pair<Counts, Counts>>> all;
    for (const ScoreTable* t : {static_cast<const ScoreTable*>(this), &other})
      t->for_each_descending([&](double score, const Counts& p, const Counts& n) {
        all.emplace_back(sort_key(score), std::make_pair(p, n));
      });
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    *this = ScoreTable();
    load_sorted(all);
    return;
  }
  if (!sorted_ && !other.sorted_ && entries_.size() + other.entries_.size() <= kHashLimit) {
    Counts pos, neg;
    for (const Entry& e : other.entries_) {
      other.counts(e, pos, neg);
      add_counts(slot_for(e.key), pos, neg);
    }
    return;
  }
  if (!sorted_) to_sorted();
  settle();
  expand_singles();
  auto their_counts = [&](const Entry& e, Counts& pos, Counts& neg) { other.counts(e, pos, neg); };
  if (other.sorted_ && other.singles_.empty()) {
    merge_run(other.entries_, their_counts);
  } else if (other.sorted_) {
    // Its entries and singles as one run of entries with their narrow counts (counts() adds the
    // wide ones).
    std::vector<Entry> run;
    run.reserve(other.entries_.size() + other.singles_.size());
    other.merge_runs(
        [&](uint64_t key, const Counts& pos, const Counts& neg) {
          run.emplace_back().key = key;
          add_counts(run.back(), pos, neg);
        },
        0, UINT64_MAX, true);
    merge_run(run, [&](const Entry& e, Counts& pos, Counts& neg) {
      pos[0] = e.pos;
      neg[0] = e.neg;
      for (int k = 0; k < kReplicates; ++k) {
        pos[k + 1] = e.rep_pos[k];
        neg[k + 1] = e.rep_neg[k];
      }
      other.add_wide(e.key, pos, neg);
    });
  } else {
    std::vector<Entry> run = other.entries_;
    std::sort(run.begin(), run.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
    merge_run(run, their_counts);
  }
  rearm();
}

// Entries by ascending key: the key's distance from the previous one (LEB128), then the counts.
// A score carried by one row (the common case with continuous scores) is one tag byte: 0x80,
// 0x40 when the row is positive, and its five replicate bits; otherwise a 0 tag and the twelve
// counts (positives then negatives, all rows then each replicate) as LEB128.
void ScoreTable::serialize(std::string& out) const {
  blob::put<uint64_t>(out, size());
  uint64_t previous = 0;
  for_each_descending([&](double score, const Counts& p, const Counts& n) {
    const uint64_t key = sort_key(score);
    blob::put_varint(out, key - previous);
    previous = key;
    if (p[0] + n[0] == 1) {
      const Counts& c = p[0] ? p : n;
      unsigned tag = 0x80u | (p[0] ? 0x40u : 0u);
      for (int k = 0; k < kReplicates; ++k) tag |= static_cast<unsigned>(c[k + 1] != 0) << k;
      out += static_cast<char>(tag);
      return;
    }
    out += '\0';
    for (const Counts* c : {&p, &n})
      for (uint64_t v : *c) blob::put_varint(out, v);
  });
}

void ScoreTable::load_sorted(
    const std::vector<std::pair<uint64_t, std::pair<Counts, Counts>>>& counts) {
  // `counts` is sorted by key; equal keys (from different tables) are summed.
  to_sorted();
  std::vector<Entry> run;
  std::vector<std::pair<Counts, Counts>> sums;
  for (const auto& [key, c] : counts) {
    if (!run.empty() && run.back().key == key) {
      for (int k = 0; k <= kReplicates; ++k) {
        sums.back().first[k] += c.first[k];
        sums.back().second[k] += c.second[k];
      }
    } else {
      run.emplace_back().key = key;
      sums.push_back(c);
    }
  }
  const Entry* base = run.data();
  merge_run(run, [&](const Entry& e, Counts& p, Counts& n) {
    const auto& s = sums[static_cast<size_t>(&e - base)];
    p = s.first;
    n = s.second;
  });
  rearm();
}

void ScoreTable::deserialize(const std::string& in, size_t& pos) {
  *this = ScoreTable();
  const auto n = blob::get<uint64_t>(in, pos);
  if (n > in.size() - pos) throw DataError("accumulator state is truncated (score table)");
  to_sorted();
  singles_.reserve(n);
  uint64_t key = 0;
  Counts p, q;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t step = blob::get_varint(in, pos);
    if (i > 0 && (step == 0 || key + step < key))
      throw DataError("accumulator state is corrupt (score order)");
    key += step;
    if (pos >= in.size()) throw DataError("accumulator state is truncated (score table)");
    const auto tag = static_cast<unsigned char>(in[pos++]);
    if (tag & 0x80u) {
      if (tag & 0x20u) throw DataError("accumulator state is corrupt (score counts)");
      const unsigned replicates = tag & 0x1fu;
      singles_.push_back({key, static_cast<uint8_t>(((tag & 0x40u) ? 1u : 0u) | replicates << 1)});
      continue;
    } else if (tag == 0) {
      for (Counts* c : {&p, &q})
        for (uint64_t& v : *c) v = blob::get_varint(in, pos);
    } else {
      throw DataError("accumulator state is corrupt (score counts)");
    }
    entries_.emplace_back().key = key;
    add_counts(entries_.back(), p, q);
  }
  rearm();
}

}  // namespace mqmon
