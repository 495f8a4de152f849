// CSV reader, accumulators and finalize, with two differential checks: a tiny block size (every
// record boundary a block boundary somewhere) must give the same statistics, or the same located
// error, as one big block; and the reader's fast path (the vector structural index, on an
// instruction set chosen by the input's length) must read the same rows and bad records as the
// scalar reader alone.
//
// Input: a flags byte, then the file. Flags: header on/off, problem type, bad rows skipped,
// unbounded scores, block size.

#include <cstdlib>

#include "fuzz_common.h"
#include "mqmon/jobs/evaluate.h"
#include "mqmon/readers/csv_reader.h"
#include "mqmon/readers/csv_scan.h"

using namespace mqmon;

namespace {

std::string outcome(const std::string& path, const EvaluationSpec& spec) {
  try {
    return write_statistics(evaluate_dataset(path, spec), "t");
  } catch (const Error& e) {
    return std::string("error: ") + e.what();
  }
}

/// Every row and bad record the reader gives, block by block, as text.
std::string rows_read(const std::string& path, size_t size, const EvaluationSpec& spec,
                      size_t block_size, bool simd) {
  CsvOptions o;
  o.header = spec.format.header;
  o.block_size = block_size;
  o.skip_bad_rows = true;
  o.simd = simd;
  std::string out;
  try {
    CsvReader reader({{path, size}}, o, spec.attributes);
    Block block;
    Batch batch;
    while (reader.next_block(block)) {
      reader.parse_block(block, batch);
      const auto& labels = batch.labels.entries();
      for (size_t i = 0; i < batch.rows(); ++i) {
        out += std::to_string(block.offset + batch.record[i]) + ":";
        if (!batch.actual.empty()) out += labels[batch.actual[i]].canonical + ",";
        if (!batch.predicted.empty()) out += labels[batch.predicted[i]].canonical + ",";
        if (!batch.truth.empty()) out += std::to_string(batch.truth[i]) + ",";
        if (!batch.prediction.empty()) out += std::to_string(batch.prediction[i]) + ",";
        if (!batch.score.empty()) out += std::to_string(batch.score[i]);
        out += "\n";
      }
      for (const auto& p : batch.skipped)
        out += "bad " + std::to_string(p.record) + ":" + std::to_string(p.line) + ":" +
               std::to_string(p.column) + ":" + p.reason + ":" + p.text + "\n";
      out += "block " + std::to_string(batch.records) + " " + std::to_string(batch.lines) + "\n";
    }
  } catch (const Error& e) {
    out += std::string("error: ") + e.what();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  EvaluationSpec spec;
  spec.format.kind = FormatKind::kCsv;
  spec.format.header = (flags & 1) != 0;
  spec.problem_type = static_cast<ProblemType>(((flags >> 1) & 3) % 3);
  const bool named = spec.format.header;
  spec.attributes.ground_truth = named ? "label" : "0";
  spec.attributes.inference = named ? "prediction" : "1";
  if (spec.problem_type == ProblemType::kBinaryClassification)
    spec.attributes.probability = named ? "probability" : "2";
  spec.scan.threads = 1;
  spec.curve_points = 8;
  if (flags & 0x08) spec.scan.max_bad_rows = BadRowLimit::parse("50%");
  spec.attributes.unbounded_scores = (flags & 0x10) != 0;
  const fuzz::MemFile file(text);
  spec.block_size = 1 << 20;
  std::string whole;
  fuzz::expect_clean([&] { whole = outcome(file.path(), spec); });
  spec.block_size = 1 + ((flags >> 5) & 7) * 3;
  std::string split;
  fuzz::expect_clean([&] { split = outcome(file.path(), spec); });
  if (whole != split) {
    std::fprintf(stderr,
                 "block size changes the outcome:\n--- one block:\n%s\n--- small blocks:\n%s\n",
                 whole.c_str(), split.c_str());
    std::abort();
  }
  static const std::vector<int64_t> targets = csv_scan_targets();
  force_csv_scan_target(targets[size % targets.size()]);
  const std::string fast = rows_read(file.path(), text.size(), spec, spec.block_size, true);
  const std::string scalar = rows_read(file.path(), text.size(), spec, spec.block_size, false);
  force_csv_scan_target(0);
  if (fast != scalar) {
    std::fprintf(stderr, "the fast path (%s) reads otherwise:\n--- scalar:\n%s\n--- fast:\n%s\n",
                 csv_scan_target_name(targets[size % targets.size()]), scalar.c_str(),
                 fast.c_str());
    std::abort();
  }
  return 0;
}
