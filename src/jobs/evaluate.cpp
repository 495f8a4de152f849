#include "mqmon/jobs/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <type_traits>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
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

const char* problem_type_name(ProblemType p) {
  switch (p) {
    case ProblemType::kBinaryClassification: return "BinaryClassification";
    case ProblemType::kMulticlassClassification: return "MulticlassClassification";
    case ProblemType::kRegression: return "Regression";
  }
  return "?";
}

namespace {

/// The attributes as the readers need them for the problem type.
AttributeSpec reader_attributes(const EvaluationSpec& config) {
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

uint64_t Evaluation::item_count() const {
  return std::visit([](const auto& s) { return s.item_count; }, statistics);
}

namespace {
const auto& scalar_names(const BinaryStatistics&) { return kBinaryScalarNames; }
const auto& scalar_names(const MulticlassStatistics&) { return kMulticlassScalarNames; }
const auto& scalar_names(const RegressionStatistics&) { return kRegressionScalarNames; }
}  // namespace

std::vector<std::pair<std::string, MetricValue>> Evaluation::scalars() const {
  std::vector<std::pair<std::string, MetricValue>> out;
  std::visit(
      [&](const auto& s) {
        const auto& names = scalar_names(s);
        for (size_t m = 0; m < names.size(); ++m) out.emplace_back(names[m], s.metrics[m]);
      },
      statistics);
  return out;
}

Evaluation evaluate_dataset(const std::string& dataset, const EvaluationSpec& spec) {
  const AttributeSpec attributes = reader_attributes(spec);
  // Validate every option before reading anything.
  std::unique_ptr<BinaryAccumulator> binary;
  if (spec.problem_type == ProblemType::kBinaryClassification) {
    BinaryOptions options;
    options.positive_label = spec.positive_label;
    options.negative_label = spec.negative_label;
    options.has_inference = !attributes.inference.empty();
    options.has_probability = !attributes.probability.empty();
    options.threshold = spec.probability_threshold;
    options.seed = spec.seed;
    binary = std::make_unique<BinaryAccumulator>(options);
  }
  auto reader = open_dataset(dataset, spec.format, attributes, spec.block_size,
                             spec.scan.max_bad_rows.allows_any());
  Evaluation ev;
  auto run = [&](const auto& prototype, auto finalize) {
    using State = std::decay_t<decltype(prototype)>;
    auto state = scan(*reader, [&] { return std::make_unique<State>(prototype); }, spec.scan, ev.scanned);
    ev.statistics = finalize(static_cast<const State&>(*state));
  };
  switch (spec.problem_type) {
    case ProblemType::kBinaryClassification:
      run(*binary, [&](const BinaryAccumulator& a) {
        return a.finalize(spec.curve_points, LabelSources{&reader->files(), attributes});
      });
      break;
    case ProblemType::kMulticlassClassification:
      run(MulticlassAccumulator(spec.seed), [](const MulticlassAccumulator& a) { return a.finalize(); });
      break;
    case ProblemType::kRegression:
      run(RegressionAccumulator(spec.seed), [](const RegressionAccumulator& a) { return a.finalize(); });
      break;
  }
  return ev;
}

std::string write_statistics(const Evaluation& ev, const std::string& evaluation_time) {
  DatasetInfo info;
  info.item_count = ev.item_count();
  info.evaluation_time = evaluation_time;
  info.skipped_item_count = ev.scanned.skipped;
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>) return write_binary_statistics(s, info);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>) return write_multiclass_statistics(s, info);
        else return write_regression_statistics(s, info);
      },
      ev.statistics);
}

}  // namespace mqmon
