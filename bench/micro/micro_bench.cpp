// Per-stage microbenchmarks (Google Benchmark): the CSV and JSON parsers, each accumulator, the
// score table in both of its modes, and the subsample hash. Rows per second are reported as
// items_per_second.
//   build/release/bench/micro_bench [--benchmark_filter=Csv]

#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "mqmon/metrics/binary.h"
#include "mqmon/metrics/multiclass.h"
#include "mqmon/metrics/regression.h"
#include "mqmon/metrics/score_table.h"
#include "mqmon/readers/csv_reader.h"
#include "mqmon/readers/json_reader.h"

namespace mqmon {
namespace {

constexpr size_t kRows = 1 << 16;

AttributeSpec binary_attributes() {
  AttributeSpec a;
  a.ground_truth = "0";
  a.inference = "1";
  a.probability = "2";
  return a;
}

Block block_of(const std::string& text) {
  Block b;
  b.data.assign(text.begin(), text.end());
  b.data.resize(text.size() + kBlockPadding, '\0');
  b.size = text.size();
  b.first_in_file = true;
  return b;
}

std::string binary_csv(size_t rows) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::string s;
  for (size_t i = 0; i < rows; ++i) {
    const double p = u(rng);
    s += std::to_string(rng() % 2) + "," + (p >= 0.5 ? "1" : "0") + "," + std::to_string(p) +
         ",0.25,0.5,abc\n";
  }
  return s;
}

/// Times a reader's parse of one block of kRows records held in memory.
void parse_repeatedly(benchmark::State& state, const RecordReader& reader,
                      const std::string& text) {
  const Block block = block_of(text);
  Batch batch;
  for (auto _ : state) {
    reader.parse_block(block, batch);
    benchmark::DoNotOptimize(batch.score.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_CsvParseBlock(benchmark::State& state) {
  const std::string text = binary_csv(kRows);
  CsvOptions o;
  o.header = false;
  const CsvReader reader({{"bench.csv", 0}}, o, binary_attributes());  // the file is never opened
  parse_repeatedly(state, reader, text);
}
BENCHMARK(BM_CsvParseBlock);

void BM_JsonLinesParseBlock(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::string text;
  for (size_t i = 0; i < kRows; ++i)
    text += "{\"label\": " + std::to_string(rng() % 2) +
            ", \"prediction\": 1, \"probability\": 0." + std::to_string(rng() % 100000) +
            ", \"f3\": \"abc\"}\n";
  AttributeSpec a;
  a.ground_truth = "label";
  a.inference = "prediction";
  a.probability = "$.probability";
  const JsonReader reader({{"bench.jsonl", 0}}, JsonOptions{}, a);
  parse_repeatedly(state, reader, text);
}
BENCHMARK(BM_JsonLinesParseBlock);

/// A parsed batch of binary rows with `distinct` distinct scores.
Batch binary_batch(size_t distinct) {
  Batch b;
  std::mt19937_64 rng(3);
  const uint32_t zero = b.labels.intern("0", 0, 0, LabelRole::kGroundTruth);
  const uint32_t one = b.labels.intern("1", 0, 0, LabelRole::kGroundTruth);
  for (size_t i = 0; i < kRows; ++i) {
    const double p = static_cast<double>(rng() % distinct) / static_cast<double>(distinct);
    b.actual.push_back(rng() % 3 == 0 ? one : zero);
    b.predicted.push_back(p >= 0.5 ? one : zero);
    b.score.push_back(p);
    b.record.push_back(static_cast<uint32_t>(i));
  }
  b.records = kRows;
  return b;
}

void BM_BinaryUpdate(benchmark::State& state) {
  const Batch batch = binary_batch(static_cast<size_t>(state.range(0)));
  BinaryOptions o;
  o.has_inference = o.has_probability = true;
  BinaryAccumulator acc(o);
  uint64_t first = 0;
  for (auto _ : state) {
    acc.update(batch, {0, first, 1});
    first += kRows;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_BinaryUpdate)->Arg(1000)->Arg(1 << 24);

void BM_MulticlassUpdate(benchmark::State& state) {
  Batch b;
  std::mt19937_64 rng(4);
  std::vector<uint32_t> ids;
  for (int c = 0; c < 20; ++c)
    ids.push_back(b.labels.intern(std::to_string(c), 0, 0, LabelRole::kGroundTruth));
  for (size_t i = 0; i < kRows; ++i) {
    const uint32_t a = ids[rng() % 20];
    b.actual.push_back(a);
    b.predicted.push_back(rng() % 4 ? a : ids[rng() % 20]);
    b.record.push_back(static_cast<uint32_t>(i));
  }
  MulticlassAccumulator acc(1);
  for (auto _ : state) acc.update(b, {});
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_MulticlassUpdate);

void BM_RegressionUpdate(benchmark::State& state) {
  Batch b;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n(100, 20);
  for (size_t i = 0; i < kRows; ++i) {
    const double y = n(rng);
    b.truth.push_back(y);
    b.prediction.push_back(y + n(rng) / 10);
    b.record.push_back(static_cast<uint32_t>(i));
  }
  RegressionAccumulator acc(1);
  for (auto _ : state) acc.update(b, {});
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_RegressionUpdate);

void BM_ScoreTableAdd(benchmark::State& state) {
  const size_t distinct = static_cast<size_t>(state.range(0));
  std::vector<double> scores(kRows);
  std::mt19937_64 rng(6);
  for (auto& s : scores) s = static_cast<double>(rng() % distinct) / static_cast<double>(distinct);
  ScoreTable table;
  for (auto _ : state) {
    for (size_t i = 0; i < kRows; ++i) table.add(scores[i], i & 1, static_cast<unsigned>(i & 31));
  }
  benchmark::DoNotOptimize(table.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_ScoreTableAdd)->Arg(1000)->Arg(1 << 24);

void BM_SubsampleMask(benchmark::State& state) {
  uint64_t row = 0;
  unsigned acc = 0;
  for (auto _ : state) acc += subsample_mask(kDefaultSeed, row++);
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SubsampleMask);

}  // namespace
}  // namespace mqmon

BENCHMARK_MAIN();
