#include "mqmon/metrics/score_table.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <map>
#include <random>

#include "mqmon/common/blob.h"

namespace mqmon {
namespace {

using Counts = ScoreTable::Counts;

std::map<double, std::pair<Counts, Counts>, std::greater<>> dump(const ScoreTable& t) {
  std::map<double, std::pair<Counts, Counts>, std::greater<>> out;
  std::vector<double> order;
  t.for_each_descending([&](double s, const Counts& p, const Counts& n) {
    out[s] = {p, n};
    order.push_back(s);
  });
  EXPECT_TRUE(std::is_sorted(order.rbegin(), order.rend()));
  return out;
}

/// A serialized table holding one score with the given counts (the format of serialize()).
ScoreTable table_with(double score, const Counts& pos, const Counts& neg) {
  std::string blob;
  blob::put<uint64_t>(blob, 1);
  blob::put_varint(blob, ScoreTable::sort_key(score));
  blob += '\0';  // the counts in full
  for (const Counts* c : {&pos, &neg})
    for (uint64_t v : *c) blob::put_varint(blob, v);
  ScoreTable t;
  size_t at = 0;
  t.deserialize(blob, at);
  return t;
}

TEST(ScoreTable, CountsPerScoreAndReplicate) {
  ScoreTable t;
  t.add(0.5, true, 0b00001);
  t.add(0.5, false, 0b11111);
  t.add(-0.0, true, 0);
  t.add(0.0, true, 0b10000);
  t.add(-2.5, false, 0b00010);
  const auto d = dump(t);
  ASSERT_EQ(d.size(), 3u);  // -0 and +0 are one threshold
  EXPECT_EQ(d.at(0.5).first, (Counts{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(d.at(0.5).second, (Counts{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(d.at(0.0).first, (Counts{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(d.at(-2.5).second, (Counts{1, 0, 1, 0, 0, 0}));
}

TEST(ScoreTable, ManyScoresSurviveGrowthAndSerialization) {
  ScoreTable t;
  for (int i = 0; i < 100000; ++i)
    t.add((i % 5003) / 5003.0 - 0.3, i % 3 == 0, static_cast<unsigned>(i % 32));
  std::string blob;
  t.serialize(blob);
  ScoreTable back;
  size_t at = 0;
  back.deserialize(blob, at);
  EXPECT_EQ(at, blob.size());
  EXPECT_EQ(back.size(), 5003u);
  EXPECT_EQ(dump(back), dump(t));
}

TEST(ScoreTable, CountsBeyond32BitsAreExact) {
  const uint64_t big = 3'000'000'000ULL;  // more than a 32-bit replicate count holds
  ScoreTable a =
      table_with(0.7, {big + 5, big, big - 1, 7, 0, big}, {big, big, big, big, big, big});
  ScoreTable b = table_with(0.7, {big, big, 1, 2, 3, 4}, {1, 1, 0, 0, 0, 0});
  a.merge(b);
  a.add(0.7, true, 0b11111);
  const auto d = dump(a);
  EXPECT_EQ(d.at(0.7).first, (Counts{2 * big + 6, 2 * big + 1, big + 1, 10, 4, big + 5}));
  EXPECT_EQ(d.at(0.7).second, (Counts{big + 1, big + 1, big, big, big, big}));
}

TEST(ScoreTable, ReplicateCountsSpillWhenTheTotalCrosses2To31) {
  const uint64_t edge = (uint64_t{1} << 31) - 1;
  ScoreTable t = table_with(0.25, {edge, edge - 2, 100, 0, 0, 0}, {0, 0, 0, 0, 0, 0});
  for (int i = 0; i < 5; ++i) t.add(0.25, true, 0b00011);  // the first add reaches 2^31 and spills
  const auto d = dump(t);
  EXPECT_EQ(d.at(0.25).first, (Counts{edge + 5, edge + 3, 105, 0, 0, 0}));
}

/// A plain reference: std::map from score to counts.
std::map<double, std::pair<Counts, Counts>, std::greater<>> reference(
    const std::vector<double>& scores, const std::vector<int>& tags) {
  std::map<double, std::pair<Counts, Counts>, std::greater<>> ref;
  for (size_t i = 0; i < scores.size(); ++i) {
    auto& [pos, neg] = ref[scores[i] == 0 ? 0.0 : scores[i]];
    Counts& c = (tags[i] & 1) ? pos : neg;
    ++c[0];
    for (int k = 0; k < kReplicates; ++k) c[k + 1] += (tags[i] >> (k + 1)) & 1;
  }
  return ref;
}

TEST(ScoreTable, ManyDistinctScoresTakeTheSortedPathExactly) {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(-3, 3);
  std::vector<double> scores;
  std::vector<int> tags;
  const size_t n = 3 * ScoreTable::kHashLimit + 12345;  // past the hash limit, several flushes
  for (size_t i = 0; i < n; ++i) {
    scores.push_back(i % 7 == 0 ? std::round(u(rng) * 10) / 10
                                : u(rng));  // ties too, and -0.0 / 0.0
    if (i % 1000 == 0) scores.back() = (i % 2000 == 0) ? -0.0 : 0.0;
    tags.push_back(static_cast<int>(rng() % 64));
  }
  const auto want = reference(scores, tags);
  ScoreTable single;
  for (size_t i = 0; i < n; ++i)
    single.add(scores[i], tags[i] & 1, static_cast<unsigned>(tags[i] >> 1));
  EXPECT_EQ(single.size(), want.size());
  EXPECT_EQ(dump(single), want);

  // Any split, merged in any order (sorted with sorted, sorted with hash), gives the same table.
  for (size_t pieces : {2, 3, 7}) {
    std::vector<ScoreTable> parts(pieces);
    for (size_t i = 0; i < n; ++i)
      parts[(i * 7919) % pieces].add(scores[i], tags[i] & 1, static_cast<unsigned>(tags[i] >> 1));
    ScoreTable small;  // a hash-mode table joins too
    small.add(0.5, true, 31);
    ScoreTable merged;
    merged.merge(small);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) merged.merge(*it);
    auto expected = want;
    expected[0.5].first[0] += 1;
    for (int k = 1; k <= kReplicates; ++k) expected[0.5].first[k] += 1;
    EXPECT_EQ(dump(merged), expected) << pieces;
    std::string blob;
    merged.serialize(blob);
    ScoreTable back;
    size_t at = 0;
    back.deserialize(blob, at);
    EXPECT_EQ(dump(back), expected);
  }

  // Absorbing keeps the runs apart and reads them together; adding and merging afterwards work.
  std::vector<ScoreTable> parts(3);
  for (size_t i = 0; i < n; ++i)
    parts[i % 3].add(scores[i], tags[i] & 1, static_cast<unsigned>(tags[i] >> 1));
  ScoreTable absorbed = std::move(parts[0]);
  absorbed.absorb(std::move(parts[1]));
  absorbed.absorb(std::move(parts[2]));
  EXPECT_EQ(absorbed.size(), want.size());
  EXPECT_EQ(dump(absorbed), want);
  absorbed.add(0.5, true, 31);
  ScoreTable other;
  other.add(0.25, false, 0);
  absorbed.merge(other);
  auto expected = want;
  expected[0.5].first[0] += 1;
  for (int k = 1; k <= kReplicates; ++k) expected[0.5].first[k] += 1;
  expected[0.25].second[0] += 1;
  EXPECT_EQ(dump(absorbed), expected);

  // Partial results absorbed by the dozen, deserialized first: past kMaxRuns the runs are merged
  // into one, and the table stays the same, absorbing an absorbed table too.
  std::vector<ScoreTable> many(20);
  for (size_t i = 0; i < n; ++i)
    many[(i * 31) % many.size()].add(scores[i], tags[i] & 1, static_cast<unsigned>(tags[i] >> 1));
  ScoreTable total, second_half;
  for (size_t p = 0; p < many.size(); ++p) {
    std::string blob;
    many[p].serialize(blob);
    ScoreTable back;
    size_t at = 0;
    back.deserialize(blob, at);
    (p < 13 ? total : second_half).absorb(std::move(back));
  }
  total.absorb(std::move(second_half));
  EXPECT_EQ(total.size(), want.size());
  EXPECT_EQ(dump(total), want);
}

TEST(ScoreTable, CompactedRunsKeepCountsThatOverflowAnEntry) {
  // Nine tables whose replicate counts for one score sum past an entry's 16-bit field.
  ScoreTable total;
  Counts want_pos{}, want_neg{};
  for (int t = 0; t < 9; ++t) {
    const Counts pos = {40000, 30000, 30000, 30000, 30000, 30000};
    total.absorb(table_with(0.75, pos, Counts{1, 1, 0, 0, 0, 0}));
    ScoreTable filler;  // sorted tables, so the runs stay apart until compacted
    for (int i = 0; i < 70000; ++i) filler.add(1.0 + i, i % 2, 0);
    total.absorb(std::move(filler));
    for (int k = 0; k <= kReplicates; ++k) want_pos[k] += pos[k];
    want_neg[0] += 1;
    want_neg[1] += 1;
  }
  const auto d = dump(total);
  EXPECT_EQ(d.at(0.75).first, want_pos);
  EXPECT_EQ(d.at(0.75).second, want_neg);
}

}  // namespace
}  // namespace mqmon
