#include "mqmon/jobs/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <type_traits>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/jobs/merge.h"
#include "mqmon/output/statistics_writer.h"
#include "mqmon/readers/row_builder.h"
#include "mqmon/readers/scripted_reader.h"
#include "mqmon/script/pool.h"

namespace mqmon {

ProblemType parse_problem_type(const std::string& text) {
  if (text == "BinaryClassification") return ProblemType::kBinaryClassification;
  if (text == "MulticlassClassification") return ProblemType::kMulticlassClassification;
  if (text == "Regression") return ProblemType::kRegression;
  throw ConfigError(not_one_of("problem type", text,
                               {"BinaryClassification", "MulticlassClassification", "Regression"}));
}

const char* problem_type_name(ProblemType p) {
  switch (p) {
    case ProblemType::kBinaryClassification:
      return "BinaryClassification";
    case ProblemType::kMulticlassClassification:
      return "MulticlassClassification";
    case ProblemType::kRegression:
      return "Regression";
  }
  return "?";
}

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

namespace {}  // namespace

static_assert(
    std::is_same_v<
        std::variant_alternative_t<static_cast<size_t>(ProblemType::kRegression), AnyStatistics>,
        RegressionStatistics>,
    "AnyStatistics lists the statistics in ProblemType order");

ProblemType Evaluation::problem_type() const {
  return static_cast<ProblemType>(statistics.index());
}

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

namespace {

/// A fresh accumulator for the problem type; constructing the first one validates the options.
AccumulatorFactory accumulator_factory(const EvaluationSpec& spec,
                                       const AttributeSpec& attributes) {
  switch (spec.problem_type) {
    case ProblemType::kBinaryClassification: {
      BinaryOptions options;
      options.positive_label = spec.positive_label;
      options.negative_label = spec.negative_label;
      options.has_inference = !attributes.inference.empty();
      options.has_probability = !attributes.probability.empty();
      options.threshold = spec.probability_threshold;
      options.seed = spec.seed;
      const BinaryAccumulator prototype(options);
      return [prototype] { return std::make_unique<BinaryAccumulator>(prototype); };
    }
    case ProblemType::kMulticlassClassification:
      return [seed = spec.seed] { return std::make_unique<MulticlassAccumulator>(seed); };
    case ProblemType::kRegression:
      return [seed = spec.seed] { return std::make_unique<RegressionAccumulator>(seed); };
  }
  throw ConfigError("unknown problem type");
}

Evaluation finalize_state(const Accumulator& state, const EvaluationSpec& spec,
                          const LabelSources& sources, ScanResult scanned) {
  Evaluation ev;
  ev.scanned = std::move(scanned);
  switch (spec.problem_type) {
    case ProblemType::kBinaryClassification:
      ev.statistics =
          static_cast<const BinaryAccumulator&>(state).finalize(spec.curve_points, sources);
      break;
    case ProblemType::kMulticlassClassification:
      ev.statistics = static_cast<const MulticlassAccumulator&>(state).finalize();
      break;
    case ProblemType::kRegression:
      ev.statistics = static_cast<const RegressionAccumulator&>(state).finalize();
      break;
  }
  return ev;
}

}  // namespace

/// Bytes of records per script batch.
constexpr size_t kScriptBlockSize = 1u << 20;

std::unique_ptr<Accumulator> read_state(const EvaluationSpec& spec, const std::string& blob) {
  switch (spec.problem_type) {
    case ProblemType::kBinaryClassification:
      return std::make_unique<BinaryAccumulator>(BinaryAccumulator::deserialize(blob));
    case ProblemType::kMulticlassClassification:
      return std::make_unique<MulticlassAccumulator>(MulticlassAccumulator::deserialize(blob));
    case ProblemType::kRegression:
      return std::make_unique<RegressionAccumulator>(RegressionAccumulator::deserialize(blob));
  }
  throw ConfigError("unknown problem type");
}

std::unique_ptr<Accumulator> scan_files(const std::function<std::vector<InputFile>()>& list,
                                        const EvaluationSpec& spec, ScanResult& scanned) {
  const AttributeSpec attributes = reader_attributes(spec);
  const AccumulatorFactory make =
      accumulator_factory(spec, attributes);  // validates before reading
  std::unique_ptr<ScriptPool> pool;
  std::unique_ptr<RecordReader> reader;
  ScanOptions scan_options = spec.scan;
  if (spec.record_preprocessor_script.empty()) {
    reader = open_files(list(), spec.format, attributes, spec.block_size,
                        spec.scan.max_bad_rows.allows_any());
  } else {
    if (spec.format.kind == FormatKind::kParquet)
      throw ConfigError("a record_preprocessor_script reads CSV, JSON Lines or captured records");
    // The script is checked (and its errors reported) before any data is read.
    pool = std::make_unique<ScriptPool>(spec.record_preprocessor_script,
                                        spec.format.kind == FormatKind::kCaptureJson
                                            ? ScriptInput::kCaptureRecord
                                            : ScriptInput::kLine,
                                        spec.script_workers);
    // Smaller batches than plain parsing: the workers finish together, not one waiting on the
    // other's last batch.
    reader = std::make_unique<ScriptedReader>(
        list(), spec.format, attributes, std::min<size_t>(spec.block_size, kScriptBlockSize),
        spec.scan.max_bad_rows.allows_any(), *pool,
        spec.capture_labels.empty() ? std::unordered_map<std::string, std::string>()
                                    : read_label_file(spec.capture_labels));
    // A parsing thread per worker, and at least two: a lone worker has its next batch waiting
    // while it runs one, and turning one batch's results into rows overlaps the workers' Python.
    // (More threads than that compete with the workers for the cores: measured slower.)
    scan_options.threads = std::max(2u, static_cast<unsigned>(pool->workers()));
  }
  return scan(*reader, make, scan_options, scanned);
}

Evaluation finalize_evaluation(const Accumulator& state, const EvaluationSpec& spec,
                               ScanResult scanned, const std::string& dataset,
                               const std::string& where) {
  if (scanned.records == scanned.skipped) {
    if (scanned.records == 0 && scanned.dropped > 0)
      throw NoDataError(fmt::format(
          "the dataset has no rows to evaluate: the record_preprocessor_script dropped all {} "
          "records of {}",
          scanned.dropped, dataset));
    if (scanned.records == 0)
      throw NoDataError(fmt::format("the dataset has no rows to evaluate: {} no records{}", where,
                                    spec.format.kind == FormatKind::kCsv && spec.format.header
                                        ? " (a header and blank lines at most)"
                                        : ""));
    throw DataError(
        fmt::format("the dataset has no rows to evaluate: {} {} records, all bad and skipped "
                    "(--max-bad-rows); the first: {}",
                    where, scanned.records, scanned.skipped_examples.at(0)));
  }
  return finalize_state(state, spec, LabelSources{reader_attributes(spec)}, std::move(scanned));
}

Evaluation evaluate_dataset(const std::string& dataset, const EvaluationSpec& spec) {
  std::string where;
  ScanResult scanned;
  const auto state = scan_files(
      [&] {
        auto files = list_dataset_files(dataset);
        where = files.size() == 1 ? fmt::format("'{}' holds", files[0].path)
                                  : fmt::format("the {} files of '{}' hold", files.size(), dataset);
        return files;
      },
      spec, scanned);
  return finalize_evaluation(*state, spec, std::move(scanned), dataset, where);
}

Evaluation evaluate_columns(const MemoryColumns& columns, const EvaluationSpec& spec) {
  const auto state = columns_state(columns, spec);
  return finalize_state(*state, spec, LabelSources{reader_attributes(spec)},
                        ScanResult{columns.rows, 0, 0, {}});
}

std::unique_ptr<Accumulator> columns_state(const MemoryColumns& columns,
                                           const EvaluationSpec& spec) {
  const AttributeSpec attributes = reader_attributes(spec);
  const AccumulatorFactory make = accumulator_factory(spec, attributes);
  const size_t n = columns.rows;
  if (n == 0) throw NoDataError("the arrays hold no rows to evaluate");
  if (n > UINT32_MAX) throw ConfigError("the in-memory API takes at most 2^32 rows per call");
  Batch batch;
  batch.external_rows = n;
  batch.records = n;
  auto need = [&](const void* column, const std::string& attribute) {
    if (!column)
      throw ConfigError(
          fmt::format("'{}' is required for {}", attribute, problem_type_name(spec.problem_type)));
  };
  if (attributes.numeric_targets) {
    need(columns.truth, attributes.ground_truth);
    need(columns.prediction, attributes.inference);
    batch.external_truth = columns.truth;
    batch.external_prediction = columns.prediction;
  } else {
    // Labels arrive as codes into vocabularies: intern each vocabulary entry once, at the row where
    // it first occurs (so errors name that row), and map the codes.
    auto labels = [&](const int32_t* codes, const std::vector<std::string>& vocab, LabelRole role,
                      const std::string& attribute, std::vector<uint32_t>& ids) {
      std::vector<int64_t> first(vocab.size(), -1);
      for (size_t i = 0; i < n; ++i) {
        const int32_t c = codes[i];
        if (c < 0 || static_cast<size_t>(c) >= vocab.size())
          throw ConfigError(
              fmt::format("{}: code {} at row {} is outside its vocabulary", attribute, c, i));
        if (first[c] < 0) first[c] = static_cast<int64_t>(i);
      }
      std::vector<uint32_t> id_of(vocab.size(), 0);
      for (size_t k = 0; k < vocab.size(); ++k) {
        if (first[k] < 0) continue;
        const auto row = static_cast<uint64_t>(first[k]);
        if (spec.attributes.label_type == LabelType::kNumber && !parse_double(vocab[k]))
          throw ParseError({"<arrays>", columns.first_row + row + 1, 0, attribute},
                           "label is not a number (label_type number)", vocab[k]);
        id_of[k] = batch.labels.intern(vocab[k], row, row, role,
                                       spec.attributes.label_type != LabelType::kString);
      }
      ids.resize(n);
      for (size_t i = 0; i < n; ++i) ids[i] = id_of[codes[i]];
    };
    need(columns.truth_codes, attributes.ground_truth);
    labels(columns.truth_codes, columns.truth_vocab, LabelRole::kGroundTruth,
           attributes.ground_truth, batch.actual);
    if (!attributes.inference.empty()) {
      need(columns.predicted_codes, attributes.inference);
      labels(columns.predicted_codes, columns.predicted_vocab, LabelRole::kInference,
             attributes.inference, batch.predicted);
    } else if (spec.problem_type == ProblemType::kMulticlassClassification) {
      throw ConfigError("multiclass in memory needs the predicted labels");
    }
    if (!attributes.probability.empty()) {
      need(columns.probability, attributes.probability);
      for (size_t i = 0; i < n; ++i)
        if (const double p = columns.probability[i]; !std::isfinite(p))
          throw ParseError({"<arrays>", columns.first_row + i + 1, 0, attributes.probability},
                           "not a finite number", format_plain_double(p));
        else if (!attributes.unbounded_scores && (p < 0.0 || p > 1.0))
          throw ParseError({"<arrays>", columns.first_row + i + 1, 0, attributes.probability},
                           kOutOfRangeReason, format_plain_double(p));
      batch.external_score = columns.probability;
    }
  }
  if (attributes.numeric_targets) {
    for (size_t i = 0; i < n; ++i)
      for (const auto& [col, name] : {std::pair{columns.truth, &attributes.ground_truth},
                                      std::pair{columns.prediction, &attributes.inference}})
        if (!std::isfinite(col[i]))
          throw ParseError({"<arrays>", columns.first_row + i + 1, 0, *name}, "not a finite number",
                           format_plain_double(col[i]));
  }
  auto state = make();
  static const std::string kArrays = "<arrays>";
  state->update(batch, BatchOrigin{&kArrays, 0, columns.first_row, 1 + columns.first_row});
  return state;
}

std::string write_statistics(const Evaluation& ev, const std::string& evaluation_time) {
  DatasetInfo info;
  info.item_count = ev.item_count();
  info.evaluation_time = evaluation_time;
  info.skipped_item_count = ev.scanned.skipped;
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>)
          return write_binary_statistics(s, info);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>)
          return write_multiclass_statistics(s, info);
        else
          return write_regression_statistics(s, info);
      },
      ev.statistics);
}

}  // namespace mqmon
