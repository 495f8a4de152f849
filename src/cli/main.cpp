// The mqmon command line: the only user of CLI11. Maps options onto job configurations and
// errors onto the exit codes documented in docs/cli.md.

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "container_mode.h"
#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/common/version.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/io/s3_client.h"
#include "mqmon/jobs/baseline.h"
#include "mqmon/jobs/merge.h"
#include "mqmon/jobs/monitor.h"
#include "mqmon/jobs/partial.h"
#include "mqmon/readers/row_builder.h"
#include "mqmon/report/files.h"
#include "mqmon/schedule/store.h"
#include "schedule_commands.h"

namespace {

/// Exit codes besides those of the error kinds (mqmon::error_kind_info).
enum ExitCode : int {
  kOk = 0,
  kInternal = 1,
  kUsage = 2,
  kViolations = 5,
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

  # JSON Lines, multiclass from an array of class probabilities
  mqmon suggest-baseline --baseline-dataset preds.jsonl --dataset-format '{"json": {"lines": true}}' \
      --problem-type MulticlassClassification --ground-truth-attribute '$.label' \
      --probability-attribute '$.output.probabilities' --class-labels cat,dog,eel --output results/
)";

constexpr const char* kMergeExamples = R"(
Examples:
  # the inferences captured between 10:00 and 11:00 with the labels collected since
  mqmon merge --capture capture/my-endpoint/AllTraffic --ground-truth ground-truth/ \
      --start 2024-05-01T10:00:00Z --end 2024-05-01T11:00:00Z --output merged/
)";

constexpr const char* kMonitorExamples = R"(
Examples:
  # an hourly execution at 2024-05-02T12:00Z over the window a day earlier (labels arrive late)
  mqmon monitor --capture capture/my-endpoint/AllTraffic --ground-truth ground-truth/ \
      --scheduled-time 2024-05-02T12:00:00Z --start-time-offset -P1DT1H --end-time-offset -P1D \
      --problem-type BinaryClassification --probability-attribute 0 \
      --constraints baseline/constraints.json --output executions/2024-05-02T12/
  echo $?   # 0 Completed, 5 CompletedWithViolations, 3/4/6 Failed

  # a merged or labelled dataset
  mqmon monitor --dataset window.csv --problem-type BinaryClassification \
      --ground-truth-attribute label --inference-attribute prediction \
      --constraints constraints.json --output out/
)";

constexpr const char* kPartialExamples = R"(
Examples:
  # a Slurm array job (--array=0-63): shard i of 64 on each task, then one combine
  mqmon partial --shard ${SLURM_ARRAY_TASK_ID}/64 --baseline-dataset s3://bucket/train/ \
      --problem-type BinaryClassification --ground-truth-attribute label \
      --probability-attribute score --output s3://bucket/parts/${SLURM_ARRAY_TASK_ID}.mqp
  mqmon combine s3://bucket/parts/*.mqp --output results/   # (list the parts: aws s3 ls ...)

  # byte ranges of one file (records belong to the range holding their first byte)
  mqmon partial --byte-range 0:1000000000 --baseline-dataset big.csv ... --output a.mqp
  mqmon partial --byte-range 1000000000: --baseline-dataset big.csv ... --output b.mqp
  mqmon combine a.mqp b.mqp --output results/
)";

/// The usage line of each subcommand, printed under every usage error.
constexpr const char* kBaselineUsage =
    "usage: mqmon suggest-baseline --baseline-dataset PATH --problem-type TYPE\n"
    "           --ground-truth-attribute A (--inference-attribute A | --probability-attribute A)\n"
    "           --output DIR [options]";
constexpr const char* kMergeUsage =
    "usage: mqmon merge --capture PREFIX --ground-truth PREFIX --start T --end T --output DIR\n"
    "           [--execution-time T] [--max-lookback DURATION]";
constexpr const char* kMonitorUsage =
    "usage: mqmon monitor (--dataset PATH | --capture PREFIX --ground-truth PREFIX)\n"
    "           --constraints FILE --problem-type TYPE --output DIR [options]";
constexpr const char* kReportUsage =
    "usage: mqmon report --statistics FILE [--constraints FILE] [--violations FILE]\n"
    "           [--execution FILE] [--baseline-statistics FILE] --output FILE\n"
    "       mqmon report --history (--schedule NAME [--state DB] | --executions DIR) --output FILE";
constexpr const char* kPartialUsage =
    "usage: mqmon partial (--shard I/N | --byte-range A:B) --baseline-dataset PATH\n"
    "           --problem-type TYPE --ground-truth-attribute A ... --output FILE.mqp";
constexpr const char* kCombineUsage =
    "usage: mqmon combine PART.mqp... --output DIR [--constraints FILE]";
constexpr const char* kAppUsage =
    "usage: mqmon [--s3-endpoint URL] (suggest-baseline | merge | monitor | report | partial |\n"
    "           combine | schedule | executions | history | scheduler | container) [options]";
using mqmon::kVersion;

/// A mistake on the command line: reported with the usage line of `command` and exit code 2.
struct UsageError {
  std::string message;
  const CLI::App* command;
};

/// The long option names `cmd` and its parent accept.
std::vector<std::string> option_names(const CLI::App* cmd) {
  std::vector<std::string> names;
  for (const CLI::App* a = cmd; a; a = a->get_parent())
    for (const CLI::Option* o : a->get_options())
      for (const auto& n : o->get_lnames()) names.push_back("--" + n);
  return names;
}

/// The subcommand named on the command line (nullptr: none), and every "--name" checked against
/// the options it takes, so that a misspelt option is named as such (CLI11 alone would report a
/// required option as missing first, or the option's value as unexpected).
const CLI::App* check_command_line(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = nullptr;
  std::vector<std::string> subcommands;
  for (const CLI::App* sub : app.get_subcommands({})) subcommands.push_back(sub->get_name());
  for (int i = 1; i < argc; ++i) {
    // A command with commands of its own (schedule create): the next word names one.
    if (command && !command->get_subcommands({}).empty() && argv[i][0] != '-') {
      std::vector<std::string> nested;
      for (const CLI::App* sub : command->get_subcommands({})) nested.push_back(sub->get_name());
      const std::string word = argv[i];
      if (std::find(nested.begin(), nested.end(), word) == nested.end())
        throw UsageError{fmt::format("unknown command '{} {}'{}", command->get_name(), word,
                                     mqmon::did_you_mean(word, nested, "")),
                         command};
      command = command->get_subcommand(word);
      continue;
    }
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) == 0) {
      const std::string name = arg.substr(0, arg.find('='));
      const auto names = option_names(command ? command : &app);
      if (std::find(names.begin(), names.end(), name) != names.end() || name == "--help" ||
          name == "--version")
        continue;
      std::string hint = mqmon::did_you_mean(name, names, "");
      for (const CLI::App* other : app.get_subcommands({})) {
        const auto theirs = option_names(other);
        if (hint.empty() && other != command &&
            std::find(theirs.begin(), theirs.end(), name) != theirs.end())
          hint = fmt::format(" ({} is an option of mqmon {})", name, other->get_name());
      }
      throw UsageError{fmt::format("unknown option {}{}", name, hint), command};
    }
    if (command || arg.empty() || arg[0] == '-') continue;
    // The first word that is no option's value names the command (a flag such as --verbose
    // takes no value).
    const std::string before = i > 1 ? argv[i - 1] : "";
    const bool value = before.rfind("--", 0) == 0 && before.find('=') == std::string::npos && [&] {
      const CLI::Option* o = app.get_option_no_throw(before);
      return !o || o->get_expected_min() != 0;
    }();
    if (value) continue;
    const auto it = std::find(subcommands.begin(), subcommands.end(), arg);
    if (it == subcommands.end())
      throw UsageError{
          fmt::format("unknown command '{}'{}", arg, mqmon::did_you_mean(arg, subcommands, "")),
          nullptr};
    command = app.get_subcommand(arg);
  }
  return command;
}

/// The command line's options, for the container mode.
class AppOptions : public mqmon::cli::CommandOptions {
 public:
  explicit AppOptions(const CLI::App& app) : app_(app) {}
  Kind kind(const std::string& command, const std::string& option) const override {
    const CLI::App* sub = app_.get_subcommand(command);
    for (const CLI::App* a : {sub, &app_})
      for (const CLI::Option* o : a->get_options())
        for (const auto& n : o->get_lnames())
          if ("--" + n == option) return o->get_expected_min() == 0 ? Kind::kFlag : Kind::kValue;
    return Kind::kNone;
  }
  std::vector<std::string> names(const std::string& command) const override {
    return option_names(app_.get_subcommand(command));
  }

 private:
  const CLI::App& app_;
};

const char* usage_of(const CLI::App* command) {
  if (!command) return kAppUsage;
  std::string path = command->get_name();
  for (const CLI::App* p = command->get_parent(); p && p->get_parent(); p = p->get_parent())
    path = p->get_name() + " " + path;
  if (const char* u = mqmon::cli::ScheduleCommands::usage(path)) return u;
  return path == "suggest-baseline" ? kBaselineUsage
         : path == "merge"          ? kMergeUsage
         : path == "report"         ? kReportUsage
         : path == "partial"        ? kPartialUsage
         : path == "combine"        ? kCombineUsage
                                    : kMonitorUsage;
}

/// Options shared by the jobs that read and score a dataset.
struct EvaluationOptions {
  std::string format_json = R"({"csv": {"header": true}})";
  std::string problem_type, max_bad_rows = "0", label_type = "auto";
  bool header = false, no_header = false, progress = false, no_progress = false;

  void add_to(CLI::App* cmd, mqmon::EvaluationSpec& spec) {
    cmd->add_option(
           "--dataset-format", format_json,
           "Format in any of the service's spellings, e.g. '{\"csv\": {\"header\": true}}'")
        ->capture_default_str();
    cmd->add_flag("--header", header, "Shortcut: CSV whose first record names the columns");
    cmd->add_flag("--no-header", no_header,
                  "Shortcut: CSV without header; attributes are 0-based indices");
    cmd->add_option("--problem-type", problem_type,
                    "BinaryClassification, MulticlassClassification or Regression")
        ->required();
    cmd->add_option(
        "--inference-attribute", spec.attributes.inference,
        "Predicted label (or value): CSV column name or 0-based index, JSONPath for JSON");
    cmd->add_option("--probability-attribute", spec.attributes.probability,
                    "Score of the positive class, or an array of class probabilities");
    cmd->add_option("--ground-truth-attribute", spec.attributes.ground_truth,
                    "True label (or value); capture data: defaults to the merged groundTruthData");
    cmd->add_option(
           "--probability-threshold-attribute", spec.probability_threshold,
           "Without an inference attribute, the prediction is positive when probability >= this")
        ->capture_default_str();
    cmd->add_option("--positive-label", spec.positive_label,
                    "The positive class of a binary problem")
        ->capture_default_str();
    cmd->add_option("--negative-label", spec.negative_label,
                    "The negative class (default: the one other label in the data)");
    cmd->add_option(
           "--label-type", label_type,
           "auto: numbers in canonical form (1 = 1.0), other text verbatim; string: all text "
           "verbatim (01 differs from 1); number: every label must be a number")
        ->capture_default_str();
    cmd->add_flag("--unbounded-scores", spec.attributes.unbounded_scores,
                  "The probability attribute holds scores of any range (logits, margins); "
                  "by default a value outside [0, 1] is a bad record");
    cmd->add_option("--class-labels", spec.attributes.class_labels,
                    "Labels of the positions of a probability array (default 0, 1, ...)")
        ->delimiter(',');
    cmd->add_option("--seed", spec.seed, "Seed of the subsamples and of the threshold draws")
        ->capture_default_str();
    cmd->add_option("--curve-points", spec.curve_points,
                    "Most thresholds drawn per curve; 0 keeps all")
        ->capture_default_str();
    cmd->add_option("--max-bad-rows", max_bad_rows,
                    "Skip and count up to N bad records, or a percentage ('0.5%')")
        ->capture_default_str();
    cmd->add_option("--threads", spec.scan.threads, "Worker threads (default: all cores)");
    cmd->add_option("--record-preprocessor-script", spec.record_preprocessor_script,
                    "Python file defining preprocess_handler(record[, logger]), called per record "
                    "(local or s3://)");
    cmd->add_option("--script-workers", spec.script_workers,
                    "Processes running the record preprocessor (default: one per core)");
    cmd->add_flag("--progress", progress, "Show progress on stderr even when it is not a terminal");
    cmd->add_flag("--no-progress", no_progress, "Never show progress");
    cmd->add_option("--block-size", spec.block_size, "Bytes per parallel block")->group("");
    cmd->add_option("--progress-after", spec.scan.progress_after_seconds,
                    "Seconds before progress shows")
        ->group("");
  }

  void apply(mqmon::EvaluationSpec& spec) const {
    spec.format = mqmon::parse_dataset_format(format_json);
    if (header && no_header)
      throw mqmon::ConfigError("--header and --no-header contradict each other");
    if (header || no_header) {
      if (spec.format.kind != mqmon::FormatKind::kCsv)
        throw mqmon::ConfigError("--header/--no-header apply to CSV datasets only");
      spec.format.header = header;
    }
    spec.problem_type = mqmon::parse_problem_type(problem_type);
    spec.attributes.label_type = mqmon::parse_label_type(label_type);
    spec.scan.max_bad_rows = mqmon::BadRowLimit::parse(max_bad_rows);
    spec.scan.progress = progress || (!no_progress && ::isatty(STDERR_FILENO));
  }
};

/// The options of a baseline's constraints (suggest-baseline, and partial, which records them).
void add_suggest_options(CLI::App* cmd, mqmon::SuggestOptions& suggest,
                         std::string& threshold_method, std::string& alpha_scope) {
  cmd->add_option("--threshold-method", threshold_method,
                  "window (chance crossing at the window size) or baseline (the baseline value)")
      ->capture_default_str();
  cmd->add_option("--alpha", suggest.alpha,
                  "Window method: false-alarm probability of a healthy window (per metric, or per "
                  "execution with --alpha-scope execution)")
      ->capture_default_str();
  cmd->add_option("--alpha-scope", alpha_scope,
                  "Window method: metric (each metric alarms with probability alpha) or execution "
                  "(a healthy window violates any constraint with probability alpha)")
      ->capture_default_str();
  cmd->add_option("--window-size", suggest.window_size,
                  "Window method: rows per monitoring window (default: the baseline's rows)");
  cmd->add_option("--replicates", suggest.replicates,
                  "Window method: draws of a window's metrics per threshold")
      ->capture_default_str();
  cmd->add_flag("--strict-layout", suggest.strict_layout,
                "Write constraints.json without mqmon's extra block");
}

void print_skipped(uint64_t dropped, uint64_t skipped, const std::vector<std::string>& examples) {
  if (dropped)
    fmt::print(stderr, "mqmon: the record_preprocessor_script dropped {} record{}\n", dropped,
               dropped == 1 ? "" : "s");
  if (skipped) {
    fmt::print(stderr, "mqmon: skipped {} bad record{}; the first:\n", skipped,
               skipped == 1 ? "" : "s");
    for (const auto& m : examples) fmt::print(stderr, "  {}\n", m);
  }
}

void print_merge_counts(const mqmon::MergeCounts& c) {
  fmt::print(
      "mqmon: {} inferences in the window ({} outside it by time), {} labels read: {} matched "
      "(label coverage {:.1f}%), {} inferences without a label, {} labels without an inference, "
      "{} duplicate labels ({} conflicting; the label collected last wins)\n",
      c.inferences, c.outside_window, c.labels, c.matched, 100 * c.label_coverage(),
      c.unmatched_inferences, c.labels_without_inference, c.duplicate_labels,
      c.conflicting_duplicates);
}

}  // namespace

int main(int argc, char** argv) {
  mqmon::seconds_since_start();  // the clock of --verbose's phase times starts here
  // A peer that closes a TLS connection must give an error to retry, not kill the process: libcurl
  // with CURLOPT_NOSIGNAL leaves SIGPIPE to the program.
  std::signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) reached must fail a write with EFBIG, named, not kill us.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"mqmon: model-quality monitoring compatible with SageMaker Model Monitor files"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  std::string s3_endpoint;
  app.add_option("--s3-endpoint", s3_endpoint,
                 "Endpoint of an S3-compatible store for s3:// paths, e.g. http://127.0.0.1:9000 "
                 "(path-style addressing; default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the "
                 "profile's endpoint_url, else AWS)");
  bool verbose = false;
  app.add_flag("--verbose", verbose,
               "Log every S3 request and its answer, and the phases of the job with their times, "
               "on stderr (never a secret or a token)");
  app.fallthrough();  // global options may follow the subcommand

  // suggest-baseline
  mqmon::BaselineConfig cfg;
  EvaluationOptions base_eval;
  std::string threshold_method = "window", alpha_scope = "metric";
  auto* base =
      app.add_subcommand("suggest-baseline",
                         "Compute a labelled dataset's model quality and suggest constraints "
                         "(writes statistics.json and constraints.json)");
  base->footer(kBaselineExamples);
  base->add_option(
          "--baseline-dataset", cfg.dataset,
          "Dataset file or directory (every file below it, sorted), or s3:// object or prefix; "
          "gzip/zstd read transparently")
      ->required();
  base_eval.add_to(base, cfg.evaluation);
  add_suggest_options(base, cfg.suggest, threshold_method, alpha_scope);
  base->add_option("--post-analytics-processor-script", cfg.post_analytics_processor_script,
                   "Python file defining postprocess_handler(), run once the outputs are written");
  bool base_no_report = false;
  base->add_flag("--no-report", base_no_report, "Do not write report.html beside the files");
  base->add_option("--output", cfg.output_dir, "Output directory")->required();
  base->add_option("--evaluation-time", cfg.evaluation_time,
                   "Fixed evaluation_time (reproducible outputs)")
      ->group("");

  // merge
  mqmon::MergeConfig merge_cfg;
  std::string merge_start, merge_end, merge_exec, merge_lookback, merge_out;
  auto* merge =
      app.add_subcommand("merge", "Join captured inferences of a window with their ground truth");
  merge->footer(kMergeExamples);
  merge
      ->add_option("--capture", merge_cfg.capture_prefix,
                   "Capture prefix with yyyy/mm/dd/hh folders")
      ->required();
  merge
      ->add_option("--ground-truth", merge_cfg.ground_truth_prefix,
                   "Ground-truth prefix with yyyy/mm/dd/hh folders")
      ->required();
  merge->add_option("--start", merge_start, "Window start, UTC (2024-05-01T10:00:00Z)")->required();
  merge->add_option("--end", merge_end, "Window end (exclusive)")->required();
  merge->add_option("--execution-time", merge_exec,
                    "Use labels collected up to this time (default: now)");
  merge->add_option(
      "--max-lookback", merge_lookback,
      "Ignore labels collected more than this before the execution time: a length, P7D (7 "
      "days) or PT12H");
  merge->add_option("--output", merge_out, "Output directory (merged.jsonl, merge_report.json)")
      ->required();

  // monitor
  mqmon::MonitorConfig mon;
  EvaluationOptions mon_eval;
  std::string mon_start, mon_end, mon_scheduled, start_offset = "-PT1H", end_offset = "-PT0H",
                                                 mon_exec, mon_lookback, mon_metric_time;
  bool ignore_undefined = false;
  auto* monitor =
      app.add_subcommand("monitor",
                         "Run one monitoring execution over a window: statistics, constraint "
                         "violations, execution status, metric records");
  monitor->footer(kMonitorExamples);
  monitor->add_option("--dataset", mon.dataset, "A merged or labelled dataset (file or directory)");
  monitor->add_option("--capture", mon.capture_prefix, "Capture prefix with yyyy/mm/dd/hh folders");
  monitor->add_option("--ground-truth", mon.ground_truth_prefix,
                      "Ground-truth prefix with yyyy/mm/dd/hh folders");
  mon_eval.add_to(monitor, mon.evaluation);
  monitor
      ->add_option("--constraints", mon.constraints_path,
                   "constraints.json (mqmon's, the service's or your own)")
      ->required();
  monitor->add_option("--start", mon_start, "Window start, UTC");
  monitor->add_option("--end", mon_end, "Window end (exclusive), UTC");
  monitor->add_option("--scheduled-time", mon_scheduled,
                      "Time the execution is scheduled for (default: now)");
  monitor
      ->add_option("--start-time-offset", start_offset,
                   "Window start relative to the scheduled time: an offset, -PT1H, -P1D, -P1DT2H")
      ->capture_default_str();
  monitor
      ->add_option("--end-time-offset", end_offset,
                   "Window end relative to the scheduled time: an offset, -PT0H, -P1D")
      ->capture_default_str();
  monitor->add_option("--execution-time", mon_exec,
                      "Use labels collected up to this time (default: now)");
  monitor->add_option("--max-lookback", mon_lookback,
                      "Ignore labels collected more than this before the execution time: a "
                      "length, P7D (7 days) or PT12H");
  monitor
      ->add_option("--endpoint-name", mon.endpoint_name, "Endpoint dimension of the metric records")
      ->capture_default_str();
  monitor
      ->add_option("--monitoring-schedule-name", mon.monitoring_schedule_name,
                   "MonitoringSchedule dimension of the metric records")
      ->capture_default_str();
  monitor->add_option("--post-analytics-processor-script", mon.post_analytics_processor_script,
                      "Python file defining postprocess_handler(), run once the outputs are "
                      "written");
  monitor->add_option("--cloudwatch-metrics-dir", mon.cloudwatch_metrics_dir,
                      "Also leave the metric records here as a SageMaker Processing container "
                      "does for CloudWatch (cloudwatch_metrics.jsonl)");
  monitor->add_option("--metric-time", mon_metric_time,
                      "Timestamp of the metric records (default: now)");
  bool mon_no_report = false;
  std::string mon_baseline_statistics;
  monitor->add_flag("--no-report", mon_no_report, "Do not write report.html beside the files");
  monitor->add_option("--baseline-statistics", mon_baseline_statistics,
                      "The baseline's statistics.json, shown beside the window in report.html");
  monitor->add_flag("--ignore-undefined-metrics", ignore_undefined,
                    "A constrained metric undefined on the window is not a violation");
  monitor->add_option("--output", mon.output_dir, "Output directory")->required();
  monitor->add_option("--evaluation-time", mon.evaluation_time, "Fixed evaluation_time")->group("");

  // partial: one shard's mergeable state, for any engine
  std::string part_dataset, part_shard, part_range, part_output, part_threshold_method = "window",
                                                                 part_alpha_scope = "metric";
  mqmon::EvaluationSpec part_spec;
  mqmon::SuggestOptions part_suggest;
  EvaluationOptions part_eval;
  auto* partial = app.add_subcommand(
      "partial",
      "Compute one shard's partial result (a .mqp file) of a baseline, to merge with 'combine'");
  partial->footer(kPartialExamples);
  partial
      ->add_option("--baseline-dataset,--dataset", part_dataset,
                   "The whole dataset (file, directory, s3:// object or prefix)")
      ->required();
  partial->add_option("--shard", part_shard,
                      "I/N: the I-th (from 0) of N shards of equal bytes of the dataset");
  partial->add_option("--byte-range", part_range,
                      "A:B: the records starting in bytes A to B of a one-file dataset");
  part_eval.add_to(partial, part_spec);
  add_suggest_options(partial, part_suggest, part_threshold_method, part_alpha_scope);
  partial->add_option("--output", part_output, "The .mqp file to write (local or s3://)")
      ->required();

  // combine: merged partials -> what suggest-baseline (or monitor --dataset) writes
  std::vector<std::string> combine_parts;
  std::string combine_output, combine_constraints, combine_time, combine_baseline_statistics;
  bool combine_no_report = false, combine_ignore_undefined = false;
  auto* combine = app.add_subcommand(
      "combine",
      "Merge partial results and write statistics.json and constraints.json (or, with "
      "--constraints, a monitoring execution's outputs)");
  combine->add_option("partials", combine_parts, "The .mqp files (local or s3://)")->required();
  combine->add_option("--output", combine_output, "Output directory")->required();
  combine->add_option("--constraints", combine_constraints,
                      "Check the merged window against these constraints, as monitor --dataset");
  combine->add_option("--baseline-statistics", combine_baseline_statistics,
                      "With --constraints: the baseline's statistics.json for report.html");
  combine->add_flag("--ignore-undefined-metrics", combine_ignore_undefined,
                    "With --constraints: an undefined metric is not a violation");
  combine->add_flag("--no-report", combine_no_report, "Do not write report.html");
  combine->add_option("--evaluation-time", combine_time, "Fixed evaluation_time")->group("");

  // report
  mqmon::report::ReportPaths report_paths;
  std::string report_output, report_schedule, report_executions, report_state;
  bool report_history = false;
  auto* report_cmd = app.add_subcommand(
      "report", "Render report.html from a job's files, or a schedule's history of executions");
  report_cmd->add_option("--statistics", report_paths.statistics,
                         "statistics.json (mqmon's or the service's)");
  report_cmd->add_option("--constraints", report_paths.constraints, "constraints.json");
  report_cmd->add_option("--violations", report_paths.violations,
                         "constraint_violations.json: an execution");
  report_cmd->add_option("--execution", report_paths.execution,
                         "mqmon's execution.json: an execution");
  report_cmd->add_option("--baseline-statistics", report_paths.baseline_statistics,
                         "The baseline's statistics.json, beside an execution's window");
  report_cmd->add_flag("--history", report_history, "A history view: metrics over time");
  report_cmd->add_option("--schedule", report_schedule, "History: the schedule's executions");
  report_cmd->add_option("--state", report_state,
                         "History: the schedule store (default $MQMON_HOME/mqmon.db)");
  report_cmd->add_option("--executions", report_executions,
                         "History: a folder of execution outputs (each with its execution.json)");
  report_cmd->add_option("--output", report_output, "The HTML file to write")->required();

  mqmon::cli::ScheduleCommands schedule_commands(app);

  // The container mode: the analyzer's environment stands for a command line.
  std::optional<mqmon::cli::ContainerMode> container;
  std::vector<char*> container_argv;
  std::string last_error;  // what was reported, for the container's failure reason
  if (const auto env = mqmon::cli::current_environment();
      mqmon::cli::ContainerMode::requested(argc, argv, env)) {
    if (mqmon::cli::ContainerMode::help_requested(argc, argv)) {
      fmt::print("{}", mqmon::cli::ContainerMode::help());
      return kOk;
    }
    try {
      container.emplace(env, AppOptions(app));
    } catch (const mqmon::Error& e) {
      fmt::print(stderr, "mqmon: error: {}\n", e.what());
      return mqmon::cli::ContainerMode::fail(env, e.what(),
                                             mqmon::error_kind_info(e.kind()).exit_code);
    }
    for (const auto& a : container->args()) container_argv.push_back(const_cast<char*>(a.c_str()));
    container_argv.push_back(nullptr);
    argc = static_cast<int>(container->args().size());
    argv = container_argv.data();
    fmt::print(stderr, "mqmon: container: {}\n", fmt::join(container->args(), " "));
  }
  // Every error goes through here: printed (with the command's usage line for a mistake on the
  // command line) and kept; in the container its options are named as the variables that gave
  // them.
  auto report = [&](int code, std::string message, const std::string& usage = "") {
    if (container) message = container->in_variables(message);
    last_error = message;
    fmt::print(stderr, "mqmon: error: {}\n{}", message, container ? "" : usage);
    return code;
  };
  // A monitoring execution's outcome: its line on stdout and exit code.
  auto finish_monitor = [&](const mqmon::MonitorResult& r, const std::string& output_dir) -> int {
    switch (r.status) {
      case mqmon::ExecutionStatus::kCompleted:
        fmt::print("mqmon: Completed: {} rows, no violations; outputs in {}\n", r.item_count,
                   output_dir);
        return kOk;
      case mqmon::ExecutionStatus::kCompletedWithViolations:
        fmt::print("mqmon: CompletedWithViolations: {} rows, {} violation{}; see {}\n",
                   r.item_count, r.violations, r.violations == 1 ? "" : "s",
                   (std::filesystem::path(output_dir) / "constraint_violations.json").string());
        return kViolations;
      case mqmon::ExecutionStatus::kFailed:
        break;
    }
    return report(mqmon::error_kind_info(r.failure).exit_code,
                  fmt::format("Failed: {}", r.failure_reason));
  };
  const int code = [&]() -> int {
    const CLI::App* command = nullptr;
    try {
      command = check_command_line(app, argc, argv);
      app.parse(argc, argv);
    } catch (const UsageError& e) {
      return report(kUsage, e.message, fmt::format("{}\n", usage_of(e.command)));
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      std::string message = e.what();
      if (message == "A subcommand is required") message = "give a command";
      // CLI11's "--seed: At Most 1 required but received 2"
      const auto twice = message.find(": At Most 1 required but received");
      if (twice != std::string::npos)
        message = message.substr(0, twice) + " is given more than once";
      // CLI11's "Could not convert: --alpha = abc"
      const std::string convert = "Could not convert: ";
      if (message.rfind(convert, 0) == 0) {
        const auto eq = message.find(" = ");
        if (eq != std::string::npos)
          message = fmt::format("{}: '{}' is not a valid value",
                                message.substr(convert.size(), eq - convert.size()),
                                message.substr(eq + 3));
      }
      std::string path;
      for (const CLI::App* p = command; p && p->get_parent(); p = p->get_parent())
        path = p->get_name() + " " + path;
      return report(
          kUsage, message,
          fmt::format("{}\nRun 'mqmon {}--help' for every option.\n", usage_of(command), path));
    }

    try {
      if (!s3_endpoint.empty()) mqmon::set_s3_endpoint(s3_endpoint);
      mqmon::set_s3_verbose(verbose);
      mqmon::set_log_phases(verbose);
      if (const auto rc = schedule_commands.run()) return *rc;
      if (base->parsed()) {
        base_eval.apply(cfg.evaluation);
        cfg.suggest.method = mqmon::parse_threshold_method(threshold_method);
        cfg.suggest.scope = mqmon::parse_alpha_scope(alpha_scope);
        if (!base_no_report)
          cfg.render_report = mqmon::report::baseline_renderer(cfg.dataset, kVersion);
        const auto r = mqmon::run_baseline(cfg);
        print_skipped(r.dropped, r.skipped, r.skipped_examples);
        fmt::print("mqmon: {} rows evaluated; wrote {} and {}\n", r.item_count, r.statistics_path,
                   r.constraints_path);
        return kOk;
      }
      if (partial->parsed()) {
        if (part_shard.empty() == part_range.empty())
          throw mqmon::ConfigError("give --shard I/N or --byte-range A:B");
        part_eval.apply(part_spec);
        part_suggest.method = mqmon::parse_threshold_method(part_threshold_method);
        part_suggest.scope = mqmon::parse_alpha_scope(part_alpha_scope);
        const auto shard = part_shard.empty() ? mqmon::ShardSpec::parse_byte_range(part_range)
                                              : mqmon::ShardSpec::parse_shard(part_shard);
        const auto p = mqmon::compute_partial(part_dataset, shard, part_spec, part_suggest);
        const std::string bytes = mqmon::encode_partial(p);
        mqmon::write_whole_file(part_output, bytes);
        print_skipped(p.scanned.dropped, p.scanned.skipped, p.scanned.skipped_examples);
        fmt::print("mqmon: {} records of {} piece{}; wrote {} ({} bytes)\n", p.scanned.records,
                   p.pieces.size(), p.pieces.size() == 1 ? "" : "s", part_output, bytes.size());
        return kOk;
      }
      if (combine->parsed()) {
        // Merged as read: memory holds one merged state and the partial being added.
        const mqmon::PartialResult merged = mqmon::merge_encoded(
            combine_parts, [&](size_t i) { return mqmon::read_whole(combine_parts[i]); });
        const std::string name = fmt::format("{} partial results", combine_parts.size());
        if (combine_constraints.empty()) {
          mqmon::BaselineConfig c;
          c.dataset = name;
          c.evaluation = merged.evaluation;
          c.suggest = merged.suggest;
          c.output_dir = combine_output;
          c.evaluation_time = combine_time;
          c.evaluate = [&] { return mqmon::finalize_partial(merged); };
          if (!combine_no_report)
            c.render_report = mqmon::report::baseline_renderer(name, kVersion);
          const auto r = mqmon::run_baseline(c);
          print_skipped(r.dropped, r.skipped, r.skipped_examples);
          fmt::print("mqmon: {} rows evaluated; wrote {} and {}\n", r.item_count, r.statistics_path,
                     r.constraints_path);
          return kOk;
        }
        mqmon::MonitorConfig m;
        m.dataset = name;
        m.evaluation = merged.evaluation;
        m.constraints_path = combine_constraints;
        m.output_dir = combine_output;
        m.evaluation_time = combine_time;
        m.execution_time = mqmon::now_millis();
        m.check.report_undefined = !combine_ignore_undefined;
        m.evaluate = [&] { return mqmon::finalize_partial(merged); };
        if (!combine_no_report)
          m.render_report = mqmon::report::monitor_renderer(
              combine_constraints, combine_baseline_statistics, name, kVersion);
        const auto r = mqmon::run_monitor(m);
        return finish_monitor(r, combine_output);
      }
      if (merge->parsed()) {
        merge_cfg.start = mqmon::parse_timestamp(merge_start);
        merge_cfg.end = mqmon::parse_timestamp(merge_end);
        if (merge_cfg.end <= merge_cfg.start)
          throw mqmon::ConfigError("--end must come after --start");
        merge_cfg.execution_time =
            merge_exec.empty() ? mqmon::now_millis() : mqmon::parse_timestamp(merge_exec);
        if (!merge_lookback.empty())
          merge_cfg.max_lookback = std::abs(mqmon::parse_duration(merge_lookback));
        mqmon::AtomicOutputSet out(merge_out);
        const auto counts = mqmon::merge_window(merge_cfg, out.add_streamed("merged.jsonl"));
        mqmon::JsonWriter w;
        w.begin_object();
        mqmon::write_merge_counts(w, counts);
        w.end_object();
        out.add("merge_report.json", w.finish());
        out.commit();
        print_merge_counts(counts);
        fmt::print("mqmon: wrote {}\n",
                   (std::filesystem::path(merge_out) / "merged.jsonl").string());
        return kOk;
      }
      if (report_cmd->parsed()) {
        std::string html;
        if (report_history) {
          if (report_schedule.empty() == report_executions.empty())
            throw mqmon::ConfigError("--history takes --schedule NAME or --executions DIR");
          html = mqmon::report::render_history(
              report_schedule.empty() ? "mqmon monitoring history"
                                      : fmt::format("{}: monitoring history", report_schedule),
              report_schedule.empty()
                  ? mqmon::report::folder_history(report_executions)
                  : mqmon::report::schedule_history(
                        report_state.empty() ? mqmon::default_state_path() : report_state,
                        report_schedule),
              kVersion);
        } else {
          if (report_paths.statistics.empty() && report_paths.execution.empty())
            throw mqmon::ConfigError("give --statistics (or --history)");
          html = mqmon::report::job_report(report_paths, kVersion);
        }
        mqmon::write_whole_file(report_output, html);
        fmt::print("mqmon: wrote {}\n", report_output);
        return kOk;
      }
      if (monitor->parsed()) {
        mon_eval.apply(mon.evaluation);
        if (!mon_start.empty() || !mon_end.empty()) {
          if (mon_start.empty() || mon_end.empty())
            throw mqmon::ConfigError("give both --start and --end");
          mon.start = mqmon::parse_timestamp(mon_start);
          mon.end = mqmon::parse_timestamp(mon_end);
        } else if (mon.dataset.empty() || !mon_scheduled.empty()) {
          // A dataset is its own window unless a scheduled time places it.
          const int64_t scheduled =
              mon_scheduled.empty() ? mqmon::now_millis() : mqmon::parse_timestamp(mon_scheduled);
          mon.start = scheduled + mqmon::parse_duration(start_offset);
          mon.end = scheduled + mqmon::parse_duration(end_offset);
          if (mon.end <= mon.start)
            throw mqmon::ConfigError(fmt::format(
                "--start-time-offset {} and --end-time-offset {} give the window {} to {}, which "
                "ends before it starts; an offset before the scheduled time carries a minus sign "
                "(-PT1H)",
                start_offset, end_offset, mqmon::format_timestamp(mon.start),
                mqmon::format_timestamp(mon.end)));
        }
        mon.execution_time =
            mon_exec.empty() ? mqmon::now_millis() : mqmon::parse_timestamp(mon_exec);
        if (!mon_lookback.empty()) mon.max_lookback = std::abs(mqmon::parse_duration(mon_lookback));
        if (!mon_metric_time.empty()) mon.metric_time = mqmon::parse_timestamp(mon_metric_time);
        mon.check.report_undefined = !ignore_undefined;
        if (!mon_no_report)
          mon.render_report = mqmon::report::monitor_renderer(
              mon.constraints_path, mon_baseline_statistics,
              mon.dataset.empty() ? mon.capture_prefix : mon.dataset, kVersion);
        const auto r = mqmon::run_monitor(mon);
        if (r.merge) print_merge_counts(*r.merge);
        return finish_monitor(r, mon.output_dir);
      }
      return kOk;
    } catch (const mqmon::Error& e) {
      return report(mqmon::error_kind_info(e.kind()).exit_code, e.what());
    } catch (const std::exception& e) {
      return report(kInternal, fmt::format("internal error: {}", e.what()));
    }
  }();
  mqmon::log_phase("done");
  return container ? container->finish(code, last_error) : code;
}
