#include "container_mode.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/jobs/evaluate.h"
#include "mqmon/readers/dataset_format.h"

extern char** environ;

namespace mqmon::cli {

namespace fs = std::filesystem;

namespace {

/// `mqmon monitor`'s exit code for CompletedWithViolations: a completed job for the service.
constexpr int kViolations = 5;

/// Variables mqmon reads itself: not options.
const std::set<std::string> kOwnVariables = {"MQMON_OPT_ML_ROOT", "MQMON_SCRIPT_LIBRARY",
                                             "MQMON_HOME"};

/// The options the analyzer's variables give: an MQMON_... variable may not give them too.
const std::set<std::string> kFromServiceVariables = {"--baseline-dataset",
                                                     "--dataset",
                                                     "--capture",
                                                     "--ground-truth",
                                                     "--output",
                                                     "--problem-type",
                                                     "--dataset-format",
                                                     "--inference-attribute",
                                                     "--probability-attribute",
                                                     "--ground-truth-attribute",
                                                     "--probability-threshold-attribute",
                                                     "--constraints",
                                                     "--start",
                                                     "--end",
                                                     "--endpoint-name",
                                                     "--monitoring-schedule-name",
                                                     "--record-preprocessor-script",
                                                     "--post-analytics-processor-script",
                                                     "--cloudwatch-metrics-dir",
                                                     "--metric-time"};

std::string opt_ml(const Environment& env) {
  const auto it = env.find("MQMON_OPT_ML_ROOT");
  return it == env.end() || it->second.empty() ? "/opt/ml" : it->second;
}

std::string message_file(const Environment& env) {
  return (fs::path(opt_ml(env)) / "output" / "message").string();
}

/// A variable's value; absent and empty are alike (the SDK sets only the variables it has).
const std::string* find(const Environment& env, const std::string& name) {
  const auto it = env.find(name);
  return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

const std::string& required(const Environment& env, const std::string& name,
                            const std::string& what) {
  if (const std::string* v = find(env, name)) return *v;
  throw ConfigError(fmt::format("the environment variable {} is not set: {}", name, what));
}

bool is_s3(const std::string& path) { return path.rfind("s3://", 0) == 0; }

void require_directory(const std::string& variable, const std::string& path,
                       const std::string& why) {
  if (is_s3(path)) return;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw ConfigError(fmt::format("{} '{}' does not exist ({})", variable, path, why));
  if (!fs::is_directory(path, ec))
    throw ConfigError(fmt::format("{} '{}' is not a directory ({})", variable, path, why));
}

/// A timestamp as the service writes it; the spaces of the documentation's example
/// ("2019-12-01T15: 20: 00Z") are dropped.
std::string timestamp(const std::string& name, std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  try {
    parse_timestamp(text);
  } catch (const Error& e) {
    throw ConfigError(fmt::format("{}: {}", name, e.what()));
  }
  return text;
}

/// A number written as 0.5 or "0.5".
std::string number(const std::string& name, std::string text) {
  text.erase(0, text.find_first_not_of(" \t"));
  text.erase(text.find_last_not_of(" \t") + 1);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    throw ConfigError(fmt::format("{} '{}' is not a number", name, text));
  return text;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string variable_of(const std::string& option) {  // --window-size -> MQMON_WINDOW_SIZE
  std::string v = "MQMON_";
  for (const char c : option.substr(2))
    v += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v;
}

std::string option_of(const std::string& variable) {  // MQMON_WINDOW_SIZE -> --window-size
  std::string o = "--";
  for (const char c : variable.substr(6))
    o += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool write_message(const Environment& env, const std::string& error) {
  const fs::path path = message_file(env);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << error << '\n';
  out.close();
  if (!out) {
    fmt::print(stderr, "mqmon: warning: cannot write the failure reason to {}\n", path.string());
    return false;
  }
  return true;
}

}  // namespace

Environment current_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

bool ContainerMode::requested(int argc, char** argv, const Environment& env) {
  if (argc >= 2 && std::string(argv[1]) == "container") return true;
  return argc == 1 && env.count("analysis_type") != 0;
}

bool ContainerMode::help_requested(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") return true;
  return false;
}

const char* ContainerMode::help() {
  return R"(mqmon container: run as SageMaker Model Monitor's model-quality analyzer image.

Started as `mqmon container`, or as `mqmon` with analysis_type in the environment, mqmon reads
the analyzer's environment variables and runs `mqmon suggest-baseline` (no baseline_constraints
and no start_time) or `mqmon monitor` (otherwise):

  analysis_type                    MODEL_QUALITY (required)
  dataset_format                   {"csv": {"header": true}}, {"json": {"lines": true}},
                                   {"sagemakerCaptureJson": {...}}, {"parquet": {}} (required)
  dataset_source                   the dataset's folder, or the capture folder (required)
  output_path                      where the outputs go (required)
  problem_type                     BinaryClassification, MulticlassClassification, Regression
  inference_attribute, probability_attribute, probability_threshold_attribute,
  ground_truth_attribute           as the options of the same names
  baseline_constraints             constraints.json: monitoring
  start_time, end_time             the window of a monitoring execution
  ground_truth_source              the ground-truth folder (default /opt/ml/processing/groundtruth)
  sagemaker_endpoint_name, sagemaker_monitoring_schedule_name
                                   the dimensions of the metric records
  publish_cloudwatch_metrics       Enabled: records in /opt/ml/output/metrics/cloudwatch
  metric_time                      the records' timestamp
  record_preprocessor_script, post_analytics_processor_script
  MQMON_<OPTION>                   any option of the command: MQMON_WINDOW_SIZE=5000
  MQMON_OPT_ML_ROOT                replaces /opt/ml in the fixed locations

A failure's reason is written to /opt/ml/output/message. See docs/container.md.
)";
}

ContainerMode::ContainerMode(Environment env, const CommandOptions& options)
    : env_(std::move(env)) {
  const std::string analysis =
      required(env_, "analysis_type", "the container runs MODEL_QUALITY analyses");
  if (analysis != "MODEL_QUALITY")
    throw ConfigError(
        fmt::format("analysis_type '{}' is not supported: mqmon runs model-quality analyses only "
                    "(analysis_type MODEL_QUALITY); data quality, bias and explainability are "
                    "other tools' work",
                    analysis));
  const bool monitoring =
      find(env_, "baseline_constraints") || find(env_, "start_time") || find(env_, "end_time");
  const std::string command = monitoring ? "monitor" : "suggest-baseline";
  args_ = {"mqmon", command};
  // One word per option, --name=value: a value that starts with a dash (-PT1H, -1) stays a value.
  // An empty value takes a word of its own (CLI11 reads "--name=" as a name without its value).
  auto give = [this](const std::string& option, const std::string& variable,
                     const std::string& value) {
    if (value.empty()) {
      args_.push_back(option);
      args_.push_back(value);
    } else {
      args_.push_back(option + "=" + value);
    }
    sources_.emplace_back(option, variable);
  };
  auto give_if_set = [&](const std::string& option, const std::string& variable) {
    if (const std::string* v = find(env_, variable)) give(option, variable, *v);
  };

  const std::string& format_text =
      required(env_, "dataset_format", "the dataset's format, as the SDK writes it");
  DatasetFormat format;
  try {
    format = parse_dataset_format(format_text);
  } catch (const Error& e) {
    throw ConfigError(fmt::format("dataset_format: {}", e.what()));
  }
  const std::string& source = required(env_, "dataset_source", "the folder that holds the dataset");
  require_directory("dataset_source", source,
                    "the analyzer reads every file below the folder dataset_source names");
  const bool capture = format.kind == FormatKind::kCaptureJson;
  if (monitoring && capture) {
    const std::string* truth = find(env_, "ground_truth_source");
    const std::string folder =
        truth ? *truth : (fs::path(opt_ml(env_)) / "processing" / "groundtruth").string();
    require_directory("ground_truth_source", folder,
                      truth ? "the ground truth's hour folders"
                            : "the default; set ground_truth_source to the ground truth's folder");
    give("--capture", "dataset_source", source);
    give("--ground-truth", "ground_truth_source", folder);
  } else {
    give(monitoring ? "--dataset" : "--baseline-dataset", "dataset_source", source);
    give("--dataset-format", "dataset_format", format_text);
  }
  const std::string& problem = required(
      env_, "problem_type", "BinaryClassification, MulticlassClassification or Regression");
  try {
    parse_problem_type(problem);
  } catch (const Error& e) {
    throw ConfigError(fmt::format("problem_type: {}", e.what()));
  }
  give("--problem-type", "problem_type", problem);
  give_if_set("--inference-attribute", "inference_attribute");
  give_if_set("--probability-attribute", "probability_attribute");
  give_if_set("--ground-truth-attribute", "ground_truth_attribute");
  if (const std::string* t = find(env_, "probability_threshold_attribute"))
    give("--probability-threshold-attribute", "probability_threshold_attribute",
         number("probability_threshold_attribute", *t));
  give_if_set("--record-preprocessor-script", "record_preprocessor_script");
  give_if_set("--post-analytics-processor-script", "post_analytics_processor_script");
  give("--output", "output_path", required(env_, "output_path", "where the outputs go"));

  const std::string* publish = find(env_, "publish_cloudwatch_metrics");
  const bool enabled = publish && lower(*publish) == "enabled";
  if (publish && !enabled && lower(*publish) != "disabled")
    throw ConfigError(
        fmt::format("publish_cloudwatch_metrics '{}' must be Enabled or Disabled", *publish));
  if (monitoring) {
    give("--constraints", "baseline_constraints",
         required(env_, "baseline_constraints",
                  "a monitoring execution checks its window against the baseline's constraints"));
    for (const auto& [option, variable] :
         {std::pair{"--start", "start_time"}, {"--end", "end_time"}})
      give(
          option, variable,
          timestamp(variable, required(env_, variable, "a monitoring execution needs its window")));
    // Without an endpoint the job monitors a batch transform: metrics of the schedule alone.
    const std::string* endpoint = find(env_, "sagemaker_endpoint_name");
    give("--endpoint-name", "sagemaker_endpoint_name", endpoint ? *endpoint : "");
    give_if_set("--monitoring-schedule-name", "sagemaker_monitoring_schedule_name");
    give_if_set("--baseline-statistics", "baseline_statistics");  // beside the window in the report
    if (const std::string* t = find(env_, "metric_time"))
      give("--metric-time", "metric_time", timestamp("metric_time", *t));
    if (enabled)
      give("--cloudwatch-metrics-dir", "publish_cloudwatch_metrics",
           (fs::path(opt_ml(env_)) / "output" / "metrics" / "cloudwatch").string());
  }

  // mqmon's own options: MQMON_WINDOW_SIZE=5000 is --window-size 5000.
  for (const auto& [name, value] : env_) {
    if (name.rfind("MQMON_", 0) != 0 || kOwnVariables.count(name)) continue;
    const std::string option = option_of(name);
    if (kFromServiceVariables.count(option))
      throw ConfigError(fmt::format(
          "{}: in the container, {} comes from the analyzer's variables (see mqmon container "
          "--help)",
          name, option));
    switch (options.kind(command, option)) {
      case CommandOptions::Kind::kNone: {
        std::vector<std::string> variables;
        for (const auto& o : options.names(command))
          if (!kFromServiceVariables.count(o)) variables.push_back(variable_of(o));
        throw ConfigError(fmt::format("{} names no option of mqmon {}{}", name, command,
                                      did_you_mean(name, variables, "")));
      }
      case CommandOptions::Kind::kFlag: {
        const std::string v = lower(value);
        if (v == "true" || v == "1" || v == "yes") {
          args_.push_back(option);
          sources_.emplace_back(option, name);
        } else if (v != "false" && v != "0" && v != "no" && !v.empty()) {
          throw ConfigError(fmt::format("{} '{}' must be true or false", name, value));
        }
        break;
      }
      case CommandOptions::Kind::kValue:
        give(option, name, value);
        break;
    }
  }
}

std::string ContainerMode::in_variables(std::string message) const {
  for (const auto& [option, variable] : sources_) {
    for (size_t at = message.find(option); at != std::string::npos;
         at = message.find(option, at + 1)) {
      const size_t end = at + option.size();
      const bool whole =
          end == message.size() ||
          !(std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-');
      if (whole) message.replace(at, option.size(), variable);
    }
  }
  return message;
}

int ContainerMode::finish(int exit_code, const std::string& error) const {
  if (exit_code == kViolations) return 0;  // CompletedWithViolations: the job completed
  if (exit_code != 0)
    write_message(env_,
                  error.empty() ? fmt::format("mqmon exited with code {}", exit_code) : error);
  return exit_code;
}

int ContainerMode::fail(const Environment& env, const std::string& error, int exit_code) {
  write_message(env, error);
  return exit_code;
}

}  // namespace mqmon::cli
