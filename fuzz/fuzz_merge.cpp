// The capture ⋈ ground-truth merge: a capture file and a ground-truth file (split at the first
// line holding only "----"), in the service's hour folders under a fresh directory in /dev/shm,
// merged for the hour; then the merged records are read back as capture data.

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_common.h"
#include "mqmon/common/time.h"
#include "mqmon/jobs/evaluate.h"
#include "mqmon/jobs/merge.h"

using namespace mqmon;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t cut = in.find("\n----\n");
  const std::string_view captured = in.substr(0, cut);
  const std::string_view labels = cut == std::string_view::npos ? "" : in.substr(cut + 6);
  static const fs::path root =
      fs::path("/dev/shm") / ("mqmon-fuzz-merge-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "cap/2024/05/01/10");
  fs::create_directories(root / "gt/2024/05/01/11");
  std::ofstream(root / "cap/2024/05/01/10/c.jsonl", std::ios::binary) << captured;
  std::ofstream(root / "gt/2024/05/01/11/g.jsonl", std::ios::binary) << labels;
  MergeConfig config;
  config.capture_prefix = (root / "cap").string();
  config.ground_truth_prefix = (root / "gt").string();
  config.start = utc_millis(2024, 5, 1, 10);
  config.end = utc_millis(2024, 5, 1, 11);
  config.execution_time = utc_millis(2024, 5, 1, 12);
  const std::string merged = (root / "merged.jsonl").string();
  fuzz::expect_clean([&] {
    const MergeCounts counts = merge_window(config, merged);
    if (counts.matched == 0) return;
    EvaluationSpec spec;
    spec.format.kind = FormatKind::kCaptureJson;
    spec.problem_type = ProblemType::kBinaryClassification;
    spec.attributes.probability = "0";
    spec.scan.threads = 1;
    evaluate_dataset(merged, spec);
  });
  return 0;
}
