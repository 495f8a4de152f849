// JSON Lines with JSONPath attributes, and the data-capture record reader (nested and BASE64
// payloads), through the whole evaluation.
//
// Input: a flags byte, a line of three attributes separated by tabs (ground truth, inference,
// probability; empty: none), then the records.

#include "fuzz_common.h"
#include "mqmon/jobs/evaluate.h"

using namespace mqmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view attrs = fuzz::take_line(in);
  std::string parts[3];
  for (auto& p : parts) {
    const size_t tab = attrs.find('\t');
    p = std::string(attrs.substr(0, tab));
    attrs = tab == std::string_view::npos ? std::string_view() : attrs.substr(tab + 1);
  }
  EvaluationSpec spec;
  spec.format.kind = (flags & 1) ? FormatKind::kCaptureJson : FormatKind::kJsonLines;
  spec.problem_type = static_cast<ProblemType>(((flags >> 1) & 3) % 3);
  spec.attributes.ground_truth = parts[0];
  spec.attributes.inference = parts[1];
  spec.attributes.probability = parts[2];
  spec.attributes.label_type = static_cast<LabelType>(((flags >> 3) & 3) % 3);
  if (flags & 0x20) spec.scan.max_bad_rows = BadRowLimit::parse("3");
  spec.scan.threads = 1;
  spec.curve_points = 8;
  spec.block_size = (flags & 0x40) ? 7 : 1 << 20;
  const fuzz::MemFile file(in);
  fuzz::expect_clean([&] { write_statistics(evaluate_dataset(file.path(), spec), "t"); });
  return 0;
}
