#include "mqmon/jobs/baseline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <type_traits>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/metrics/binary.h"
#include "mqmon/metrics/multiclass.h"
#include "mqmon/metrics/regression.h"
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

namespace {

/// The attributes as the readers need them for the problem type.
AttributeSpec reader_attributes(const BaselineConfig& config) {
  AttributeSpec a = config.attributes;
  switch (config.problem_type) {
    case ProblemType::kBinaryClassification: {
      if (a.inference.empty() && a.probability.empty())
        throw ConfigError(
            "give an inference attribute (the predicted label), a probability attribute, or both");
      a.probability_use = ProbabilityUse::kScore;
      // An array of class probabilities: the positive label's entry, by --class-labels or, for an
      // integer label k, position k.
      const std::string positive = canonical_label(config.positive_label);
      const auto named = std::find(a.class_labels.begin(), a.class_labels.end(), positive);
      if (named != a.class_labels.end()) {
        a.probability_entry = static_cast<int>(named - a.class_labels.begin());
      } else if (!a.class_labels.empty()) {
        throw ConfigError(
            fmt::format("--class-labels does not name the positive label '{}'", positive));
      } else if (positive.size() < 6 && std::all_of(positive.begin(), positive.end(), ::isdigit)) {
        a.probability_entry = std::stoi(positive);
      }
      break;
    }
    case ProblemType::kMulticlassClassification:
      if (a.inference.empty() && a.probability.empty())
        throw ConfigError(
            "give an inference attribute (the predicted label) or a probability attribute (an "
            "array of "
            "class probabilities)");
      // Multiclass metrics need only the predicted label: probabilities matter only to derive it.
      if (!a.inference.empty())
        a.probability.clear();
      else
        a.probability_use = ProbabilityUse::kArgmax;
      break;
    case ProblemType::kRegression:
      if (a.inference.empty())
        throw ConfigError("regression needs an inference attribute (the prediction)");
      if (!a.probability.empty()) throw ConfigError("regression takes no probability attribute");
      a.numeric_targets = true;
      break;
  }
  return a;
}

}  // namespace

BaselineResult run_baseline(const BaselineConfig& config) {
  const AttributeSpec attributes = reader_attributes(config);
  SuggestOptions suggest = config.suggest;
  suggest.seed = config.seed;  // one seed governs every random choice of the job

  // Validate every option before reading anything.
  std::unique_ptr<BinaryAccumulator> binary;
  if (config.problem_type == ProblemType::kBinaryClassification) {
    BinaryOptions options;
    options.positive_label = config.positive_label;
    options.negative_label = config.negative_label;
    options.has_inference = !attributes.inference.empty();
    options.has_probability = !attributes.probability.empty();
    options.threshold = config.probability_threshold;
    options.seed = config.seed;
    binary = std::make_unique<BinaryAccumulator>(options);
  }

  auto reader = open_dataset(config.dataset, config.format, attributes, config.block_size,
                             config.scan.max_bad_rows.allows_any());
  ScanResult scanned;
  DatasetInfo info;
  info.evaluation_time =
      config.evaluation_time.empty() ? utc_now_iso8601() : config.evaluation_time;
  std::string statistics, constraints;
  // scan -> finalize -> statistics.json and constraints.json, the same for every problem type.
  auto evaluate = [&](const auto& prototype, auto finalize, auto write_statistics, auto suggest_for,
                      auto write_constraints) {
    using State = std::decay_t<decltype(prototype)>;
    auto state = scan(
        *reader, [&] { return std::make_unique<State>(prototype); }, config.scan, scanned);
    const auto stats = finalize(static_cast<const State&>(*state));
    info.item_count = stats.item_count;
    info.skipped_item_count = scanned.skipped;
    statistics = write_statistics(stats, info);
    constraints = write_constraints(suggest_for(stats, suggest), stats, suggest);
  };
  switch (config.problem_type) {
    case ProblemType::kBinaryClassification:
      evaluate(
          *binary,
          [&](const BinaryAccumulator& a) {
            return a.finalize(config.curve_points, LabelSources{&reader->files(), attributes});
          },
          write_binary_statistics, suggest_binary_constraints, write_binary_constraints);
      break;
    case ProblemType::kMulticlassClassification:
      evaluate(
          MulticlassAccumulator(config.seed),
          [](const MulticlassAccumulator& a) { return a.finalize(); }, write_multiclass_statistics,
          suggest_multiclass_constraints, write_multiclass_constraints);
      break;
    case ProblemType::kRegression:
      evaluate(
          RegressionAccumulator(config.seed),
          [](const RegressionAccumulator& a) { return a.finalize(); }, write_regression_statistics,
          suggest_regression_constraints, write_regression_constraints);
      break;
  }

  AtomicOutputSet out(config.output_dir);
  out.add("statistics.json", statistics);
  out.add("constraints.json", constraints);
  out.commit();

  BaselineResult r;
  r.item_count = info.item_count;
  r.skipped = scanned.skipped;
  r.skipped_examples = scanned.skipped_examples;
  r.statistics_path = (std::filesystem::path(config.output_dir) / "statistics.json").string();
  r.constraints_path = (std::filesystem::path(config.output_dir) / "constraints.json").string();
  return r;
}

}  // namespace mqmon
