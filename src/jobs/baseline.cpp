#include "mqmon/jobs/baseline.h"

#include <fmt/format.h>

#include <filesystem>

#include "mqmon/common/error.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/metrics/binary.h"
#include "mqmon/output/statistics_writer.h"

namespace mqmon {

ProblemType parse_problem_type(const std::string& text) {
  if (text == "BinaryClassification") return ProblemType::kBinaryClassification;
  if (text == "MulticlassClassification") return ProblemType::kMulticlassClassification;
  if (text == "Regression") return ProblemType::kRegression;
  throw ConfigError(fmt::format(
      "problem type '{}' is not one of BinaryClassification, MulticlassClassification, Regression",
      text));
}

BaselineResult run_baseline(const BaselineConfig& config) {
  if (config.problem_type != ProblemType::kBinaryClassification)
    throw ConfigError("only BinaryClassification is supported yet");
  if (config.attributes.inference.empty() && config.attributes.probability.empty())
    throw ConfigError(
        "give an inference attribute (the predicted label), a probability attribute, or both");

  BinaryOptions options;
  options.positive_label = config.positive_label;
  options.negative_label = config.negative_label;
  options.has_inference = !config.attributes.inference.empty();
  options.has_probability = !config.attributes.probability.empty();
  options.threshold = config.probability_threshold;
  options.seed = config.seed;
  const BinaryAccumulator prototype(options);  // validates the options before any reading

  auto reader = open_dataset(config.dataset, config.format, config.attributes, config.block_size,
                             config.scan.max_bad_rows.allows_any());
  ScanResult scanned;
  auto state = scan(
      *reader, [&] { return std::make_unique<BinaryAccumulator>(prototype); }, config.scan,
      scanned);
  const auto& acc = static_cast<const BinaryAccumulator&>(*state);
  const BinaryStatistics stats =
      acc.finalize(config.curve_points, LabelSources{&reader->files(), config.attributes});

  DatasetInfo info;
  info.item_count = stats.item_count;
  info.evaluation_time =
      config.evaluation_time.empty() ? utc_now_iso8601() : config.evaluation_time;
  info.skipped_item_count = scanned.skipped;
  SuggestOptions suggest = config.suggest;
  suggest.seed = config.seed;  // one seed governs every random choice of the job
  const auto constraints = suggest_binary_constraints(stats, suggest);

  AtomicOutputSet out(config.output_dir);
  out.add("statistics.json", write_binary_statistics(stats, info));
  out.add("constraints.json", write_binary_constraints(constraints, stats, suggest));
  out.commit();

  BaselineResult r;
  r.item_count = stats.item_count;
  r.skipped = scanned.skipped;
  r.skipped_examples = scanned.skipped_examples;
  r.statistics_path = (std::filesystem::path(config.output_dir) / "statistics.json").string();
  r.constraints_path = (std::filesystem::path(config.output_dir) / "constraints.json").string();
  return r;
}

}  // namespace mqmon
