#include "mqmon/readers/json_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace mqmon {
namespace {

struct Row {
  std::string actual, predicted;
  double score;
  uint64_t offset;
  bool operator==(const Row&) const = default;
};

struct ReadResult {
  std::vector<Row> rows;
  std::vector<std::string> errors;  // "line:attribute:reason:text", global lines
  uint64_t records = 0, lines = 0;
};

std::string write_temp(const std::string& content) {
  static int n = 0;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("mqmon_json_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".jsonl");
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

AttributeSpec named() {
  AttributeSpec a;
  a.ground_truth = "label";
  a.inference = "$.out.prediction";
  a.probability = "probability";
  return a;
}

ReadResult read_all(const std::string& path, size_t block_size, bool skip, bool stream) {
  JsonOptions o;
  o.block_size = block_size;
  o.skip_bad_rows = skip;
  o.stream = stream;
  JsonReader reader({{path, std::filesystem::file_size(path)}}, o, named());
  ReadResult r;
  Block block;
  Batch batch;
  uint64_t line = 1;
  while (reader.next_block(block)) {
    if (block.first_in_file) line = block.first_line;
    reader.parse_block(block, batch);
    const auto& e = batch.labels.entries();
    for (size_t i = 0; i < batch.rows(); ++i)
      r.rows.push_back({e[batch.actual[i]].canonical, e[batch.predicted[i]].canonical,
                        batch.score[i], block.offset + batch.record[i]});
    auto describe = [&](const RowProblem& p) {
      return fmt::format("{}:{}:{}:{}", line + p.line, p.attribute, p.reason, p.text);
    };
    for (const auto& p : batch.skipped) r.errors.push_back(describe(p));
    r.records += batch.records;  // with a fatal error: up to the bad record
    if (batch.error) {
      r.errors.push_back(describe(*batch.error));
      break;
    }
    line += batch.lines;
    r.lines += batch.lines;
  }
  return r;
}

/// JSON Lines with blank lines, CRLF, nested paths, labels as numbers, strings and booleans, and
/// (when `bad`) lines the reader must refuse or that the stream parser reads differently from a
/// line reader: invalid JSON, two documents on a line, one document across two lines, an array.
std::string random_jsonl(std::mt19937& rng, int rows, bool bad) {
  auto pick = [&](std::initializer_list<const char*> v) { return *(v.begin() + rng() % v.size()); };
  std::string out;
  const char* eol = rng() % 3 == 0 ? "\r\n" : "\n";
  for (int r = 0; r < rows; ++r) {
    if (rng() % 20 == 0) out += pick({"\n", "   \n", "\r\n"});
    std::string line = fmt::format(
        R"({{"label": {}, "out": {{"prediction": {}}}, "probability": {}, "note": {}}})",
        pick({"1", "0", "\"1\"", "1.0", "true"}), pick({"1", "0", "\"0\"", "false"}),
        pick({"0.25", "0.5", "1e-3", "0.3333333333333333", "\"0.75\""}),
        pick({"\"x\"", "[1, 2, {\"a\": null}]", "\"a\\nb \\\"q\\\"\"", "{}"}));
    if (bad) {
      switch (rng() % 25) {
        case 0:
          line.pop_back();
          break;  // not closed
        case 1:
          line += " " + line;
          break;  // two documents on a line
        case 2:
          line.insert(line.find(", \"note\""), "\n");
          break;  // across two lines
        case 3:
          line = "[" + line + "]";
          break;
        case 4:
          line.replace(line.find("\"label\""), 7, "\"lable\"");
          break;
        case 5:
          line += ", 5";
          break;
        case 6:
          line = "7";
          break;
        default:
          break;
      }
    }
    out += line;
    if (r + 1 < rows || rng() % 2) out += eol;
  }
  return out;
}

TEST(JsonReader, TheStreamReadsWhatTheLineReaderReadsAtEveryBlockBoundary) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 60; ++trial) {
    const bool bad = trial % 2 == 1;
    const std::string content = random_jsonl(rng, 20 + static_cast<int>(rng() % 40), bad);
    const std::string path = write_temp(content);
    for (const bool skip : {true, false}) {
      const ReadResult reference = read_all(path, 1 << 20, skip, false);
      ASSERT_TRUE(!reference.rows.empty() || !reference.errors.empty());
      for (size_t block = 1; block <= content.size() + 1; block += 1 + block / 8) {
        const ReadResult fast = read_all(path, block, skip, true);
        ASSERT_EQ(fast.rows, reference.rows) << "block " << block << "\n" << content;
        ASSERT_EQ(fast.errors, reference.errors) << "block " << block << "\n" << content;
        ASSERT_EQ(fast.records, reference.records) << "block " << block;
        // A fatal error stops the count at a block's end, which the block size moves.
        if (skip) {
          ASSERT_EQ(fast.lines, reference.lines) << "block " << block;
        }
      }
    }
    std::filesystem::remove(path);
  }
}

}  // namespace
}  // namespace mqmon
