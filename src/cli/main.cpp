// The mqmon command line: the only user of CLI11. Maps options onto job configurations and
// errors onto the exit codes documented in docs/cli.md.

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "mqmon/common/error.h"
#include "mqmon/jobs/baseline.h"

namespace {

enum ExitCode : int {
  kOk = 0,
  kInternal = 1,
  kUsage = 2,
  kBadData = 3,
  kIo = 4,
};

constexpr const char* kBaselineExamples = R"(
Examples:
  mqmon suggest-baseline --baseline-dataset data/validation.csv \
      --dataset-format '{"csv": {"header": true}}' --problem-type BinaryClassification \
      --inference-attribute prediction --probability-attribute probability \
      --ground-truth-attribute label --output results/

  # no header: attributes are 0-based column indices; labels yes/no
  mqmon suggest-baseline --baseline-dataset scores.csv.gz --no-header \
      --problem-type BinaryClassification --probability-attribute 1 \
      --ground-truth-attribute 0 --positive-label yes --output results/

  # thresholds at the baseline values, as the service suggested them
  mqmon suggest-baseline ... --threshold-method baseline --strict-layout
)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mqmon: model-quality monitoring compatible with SageMaker Model Monitor files"};
  app.set_version_flag("--version", "mqmon 0.1.0");
  app.require_subcommand(1);

  mqmon::BaselineConfig cfg;
  std::string format_json = R"({"csv": {"header": true}})";
  std::string problem_type, max_bad_rows = "0", threshold_method = "window", label_type = "auto";
  bool header = false, no_header = false, progress = false, no_progress = false;

  auto* base =
      app.add_subcommand("suggest-baseline",
                         "Compute a labelled dataset's model quality and suggest constraints "
                         "(writes statistics.json and constraints.json)");
  base->footer(kBaselineExamples);
  base->add_option(
          "--baseline-dataset", cfg.dataset,
          "Dataset file or directory (every file below it, sorted); gzip/zstd read transparently")
      ->required();
  base->add_option("--dataset-format", format_json,
                   "Format in any of the service's spellings, e.g. '{\"csv\": {\"header\": true}}'")
      ->capture_default_str();
  base->add_flag("--header", header, "Shortcut: CSV whose first record names the columns");
  base->add_flag("--no-header", no_header,
                 "Shortcut: CSV without header; attributes are 0-based indices");
  base->add_option("--problem-type", problem_type,
                   "BinaryClassification, MulticlassClassification or Regression")
      ->required();
  base->add_option(
      "--inference-attribute", cfg.evaluation.attributes.inference,
      "Predicted label (or value): CSV column name or 0-based index, JSONPath for JSON");
  base->add_option("--probability-attribute", cfg.evaluation.attributes.probability,
                   "Score of the positive class, or an array of class probabilities");
  base->add_option("--ground-truth-attribute", cfg.evaluation.attributes.ground_truth,
                   "True label (or value); capture data: defaults to the merged groundTruthData");
  base->add_option(
          "--probability-threshold-attribute", cfg.evaluation.probability_threshold,
          "Without an inference attribute, the prediction is positive when probability >= this")
      ->capture_default_str();
  base->add_option("--positive-label", cfg.evaluation.positive_label, "The positive class of a binary problem")
      ->capture_default_str();
  base->add_option("--negative-label", cfg.evaluation.negative_label,
                   "The negative class (default: the one other label in the data)");
  base->add_option(
          "--label-type", label_type,
          "auto: numbers in canonical form (1 = 1.0), other text verbatim; string: all text "
          "verbatim (01 differs from 1); number: every label must be a number")
      ->check(CLI::IsMember({"auto", "string", "number"}))
      ->capture_default_str();
  base->add_option("--class-labels", cfg.evaluation.attributes.class_labels,
                   "Labels of the positions of a probability array (default 0, 1, ...)")
      ->delimiter(',');
  base->add_option("--seed", cfg.evaluation.seed, "Seed of the subsamples and of the threshold draws")
      ->capture_default_str();
  base->add_option("--curve-points", cfg.evaluation.curve_points,
                   "Most thresholds drawn per curve; 0 keeps all")
      ->capture_default_str();
  base->add_option("--threshold-method", threshold_method,
                   "window (chance crossing at the window size) or baseline (the baseline value)")
      ->check(CLI::IsMember({"window", "baseline"}))
      ->capture_default_str();
  base->add_option("--alpha", cfg.suggest.alpha,
                   "Window method: false-alarm probability per metric")
      ->capture_default_str();
  base->add_option("--window-size", cfg.suggest.window_size,
                   "Window method: rows per monitoring window (default: the baseline's rows)");
  base->add_option("--replicates", cfg.suggest.replicates,
                   "Window method: multinomial draws per threshold")
      ->capture_default_str();
  base->add_flag("--strict-layout", cfg.suggest.strict_layout,
                 "Write constraints.json without mqmon's extra block");
  base->add_option("--output", cfg.output_dir, "Output directory")->required();
  base->add_option("--max-bad-rows", max_bad_rows,
                   "Skip and count up to N bad records, or a percentage ('0.5%')")
      ->capture_default_str();
  base->add_option("--threads", cfg.evaluation.scan.threads, "Worker threads (default: all cores)");
  base->add_flag("--progress", progress, "Show progress on stderr even when it is not a terminal");
  base->add_flag("--no-progress", no_progress, "Never show progress");
  base->add_option("--block-size", cfg.evaluation.block_size, "Bytes per parallel block")->group("");
  base->add_option("--progress-after", cfg.evaluation.scan.progress_after_seconds,
                   "Seconds before progress shows")
      ->group("");
  base->add_option("--evaluation-time", cfg.evaluation_time,
                   "Fixed evaluation_time (reproducible outputs)")
      ->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }

  try {
    if (base->parsed()) {
      cfg.evaluation.format = mqmon::parse_dataset_format(format_json);
      if (header && no_header)
        throw mqmon::ConfigError("--header and --no-header contradict each other");
      if (header || no_header) {
        if (cfg.evaluation.format.kind != mqmon::FormatKind::kCsv)
          throw mqmon::ConfigError("--header/--no-header apply to CSV datasets only");
        cfg.evaluation.format.header = header;
      }
      cfg.evaluation.problem_type = mqmon::parse_problem_type(problem_type);
      cfg.evaluation.attributes.label_type = label_type == "string"   ? mqmon::LabelType::kString
                                  : label_type == "number" ? mqmon::LabelType::kNumber
                                                           : mqmon::LabelType::kAuto;
      cfg.suggest.method = threshold_method == "window" ? mqmon::ThresholdMethod::kWindow
                                                        : mqmon::ThresholdMethod::kBaseline;
      cfg.evaluation.scan.max_bad_rows = mqmon::BadRowLimit::parse(max_bad_rows);
      cfg.evaluation.scan.progress = progress || (!no_progress && ::isatty(STDERR_FILENO));
      const auto r = mqmon::run_baseline(cfg);
      if (r.skipped) {
        fmt::print(stderr, "mqmon: skipped {} bad record{}; the first:\n", r.skipped,
                   r.skipped == 1 ? "" : "s");
        for (const auto& m : r.skipped_examples) fmt::print(stderr, "  {}\n", m);
      }
      fmt::print("mqmon: {} rows evaluated; wrote {} and {}\n", r.item_count, r.statistics_path,
                 r.constraints_path);
    }
    return kOk;
  } catch (const mqmon::ConfigError& e) {
    fmt::print(stderr, "mqmon: error: {}\n", e.what());
    return kUsage;
  } catch (const mqmon::ParseError& e) {
    fmt::print(stderr, "mqmon: error: {}\n", e.what());
    return kBadData;
  } catch (const mqmon::DataError& e) {
    fmt::print(stderr, "mqmon: error: {}\n", e.what());
    return kBadData;
  } catch (const mqmon::IoError& e) {
    fmt::print(stderr, "mqmon: error: {}\n", e.what());
    return kIo;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mqmon: internal error: {}\n", e.what());
    return kInternal;
  }
}
