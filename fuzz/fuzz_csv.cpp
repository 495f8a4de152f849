// CSV reader, accumulators and finalize, with a differential check: a tiny block size (every
// record boundary a block boundary somewhere) must give the same statistics, or the same located
// error, as one big block.
//
// Input: a flags byte, then the file. Flags: header on/off, problem type, bad rows skipped,
// unbounded scores, block size.

#include <cstdlib>

#include "fuzz_common.h"
#include "mqmon/jobs/evaluate.h"

using namespace mqmon;

namespace {

std::string outcome(const std::string& path, const EvaluationSpec& spec) {
  try {
    return write_statistics(evaluate_dataset(path, spec), "t");
  } catch (const Error& e) {
    return std::string("error: ") + e.what();
  }
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
  return 0;
}
