// CLI11's second translation unit: the schedule commands.
#include "schedule_commands.h"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <map>

#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/common/time.h"
#include "mqmon/common/version.h"
#include "mqmon/report/files.h"
#include "mqmon/schedule/describe.h"
#include "mqmon/schedule/expression.h"
#include "mqmon/schedule/runner.h"
#include "mqmon/schedule/store.h"

namespace mqmon::cli {

namespace {

const std::map<std::string, const char*> kUsages = {
    {"schedule",
     "usage: mqmon schedule (create | update | list | describe | stop | start | delete) ..."},
    {"schedule create",
     "usage: mqmon schedule create NAME --schedule-expression 'cron(0 * ? * * *)'\n"
     "           --capture PREFIX --ground-truth PREFIX --constraints FILE --problem-type TYPE\n"
     "           --output PREFIX [attribute and window options] [--state DB]"},
    {"schedule update",
     "usage: mqmon schedule update NAME [options of schedule create] [--state DB]"},
    {"schedule list", "usage: mqmon schedule list [--json] [--state DB]"},
    {"schedule describe", "usage: mqmon schedule describe NAME [--json] [--state DB]"},
    {"schedule stop", "usage: mqmon schedule stop NAME [--state DB]"},
    {"schedule start", "usage: mqmon schedule start NAME [--state DB]"},
    {"schedule delete", "usage: mqmon schedule delete NAME [--purge] [--state DB]"},
    {"executions", "usage: mqmon executions (list | describe) ..."},
    {"executions list",
     "usage: mqmon executions list [--schedule NAME] [--status S] [--since T] [--json] [--state "
     "DB]"},
    {"executions describe", "usage: mqmon executions describe ID [--json] [--state DB]"},
    {"history", "usage: mqmon history --schedule NAME --metric NAME [--json | --csv] [--state DB]"},
    {"scheduler",
     "usage: mqmon scheduler [--once] [--now T] [--catch-up latest|all|none] [--state DB]\n"
     "           [--max-concurrent-executions N]"},
};

constexpr const char* kScheduleExamples = R"(
Examples:
  mqmon schedule create hourly-churn --schedule-expression 'cron(0 * ? * * *)' \
      --capture capture/my-endpoint/AllTraffic --ground-truth ground-truth/my-endpoint \
      --constraints baseline/constraints.json --problem-type BinaryClassification \
      --probability-attribute 0 --endpoint-name my-endpoint --output monitoring/
  mqmon scheduler            # runs what is due, then sleeps until the next due time
  mqmon executions list --schedule hourly-churn
  mqmon history --schedule hourly-churn --metric f1 --csv
)";

/// One option of the job definition, and how `update` copies it from the parsed values.
struct Field {
  CLI::Option* option;
  std::function<void(JobDefinition&, const JobDefinition&)> copy;
};

std::vector<Field> add_definition_options(CLI::App* cmd, JobDefinition& d) {
  std::vector<Field> fields;
  auto copy = [](auto member) {
    return [member](JobDefinition& dst, const JobDefinition& src) { dst.*member = src.*member; };
  };
  auto option = [&](const char* flag, auto member, const char* help) {
    fields.push_back({cmd->add_option(flag, d.*member, help), copy(member)});
    return fields.back().option;
  };
  auto flag = [&](const char* name, auto member, const char* help) {
    fields.push_back({cmd->add_flag(name, d.*member, help), copy(member)});
  };
  option("--capture", &JobDefinition::capture,
         "Capture prefix with yyyy/mm/dd/hh folders (the endpoint's data capture destination)");
  option("--ground-truth", &JobDefinition::ground_truth,
         "Ground-truth prefix with yyyy/mm/dd/hh folders");
  option("--constraints", &JobDefinition::constraints, "The baseline's constraints.json");
  option("--output", &JobDefinition::output,
         "Output prefix: executions write OUTPUT/ENDPOINT/SCHEDULE/yyyy/mm/dd/hh/");
  option("--endpoint-name", &JobDefinition::endpoint_name, "Endpoint name")->capture_default_str();
  option("--problem-type", &JobDefinition::problem_type,
         "BinaryClassification, MulticlassClassification or Regression");
  option("--inference-attribute", &JobDefinition::inference_attribute,
         "Predicted label in the endpoint output (CSV field index or JSONPath)");
  option("--probability-attribute", &JobDefinition::probability_attribute,
         "Probability in the endpoint output");
  option("--probability-threshold-attribute", &JobDefinition::probability_threshold,
         "Without an inference attribute, the prediction is positive when probability >= this")
      ->capture_default_str();
  option("--ground-truth-attribute", &JobDefinition::ground_truth_attribute,
         "Addresses inside groundTruthData (default: its whole data)");
  option("--positive-label", &JobDefinition::positive_label, "The positive class")
      ->capture_default_str();
  option("--negative-label", &JobDefinition::negative_label, "The negative class");
  option("--label-type", &JobDefinition::label_type, "auto, string or number")
      ->capture_default_str();
  option("--class-labels", &JobDefinition::class_labels,
         "Labels of the positions of a probability array")
      ->delimiter(',');
  flag("--unbounded-scores", &JobDefinition::unbounded_scores,
       "The probability attribute holds scores of any range");
  option("--max-bad-rows", &JobDefinition::max_bad_rows, "Skip and count up to N bad records")
      ->capture_default_str();
  option("--start-time-offset", &JobDefinition::start_time_offset,
         "Window start relative to the scheduled time: an offset, -PT1H, -P1D")
      ->capture_default_str();
  option("--end-time-offset", &JobDefinition::end_time_offset,
         "Window end relative to the scheduled time: an offset, -PT0H, -P1D")
      ->capture_default_str();
  option("--data-analysis-start-time", &JobDefinition::data_analysis_start_time,
         "NOW schedules: window start relative to the run, -PT1H");
  option("--data-analysis-end-time", &JobDefinition::data_analysis_end_time,
         "NOW schedules: window end relative to the run, -PT0H");
  option("--max-lookback", &JobDefinition::max_lookback,
         "Ignore labels collected more than this before the execution: a length, P7D");
  option("--max-runtime-in-seconds", &JobDefinition::max_runtime_in_seconds,
         "An execution running longer is stopped and recorded Failed")
      ->capture_default_str();
  flag("--enable-cloudwatch-metrics,!--disable-cloudwatch-metrics",
       &JobDefinition::enable_cloudwatch_metrics,
       "Write cloudwatch_metrics.json (CloudWatch Embedded Metric Format); on by default");
  flag("--ignore-undefined-metrics", &JobDefinition::ignore_undefined_metrics,
       "A constrained metric undefined on the window is not a violation");
  option("--record-preprocessor-script", &JobDefinition::record_preprocessor_script,
         "Python file defining preprocess_handler(inference_record[, logger])");
  option("--post-analytics-processor-script", &JobDefinition::post_analytics_processor_script,
         "Python file defining postprocess_handler(), run after each execution");
  return fields;
}

std::string optional_text(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : std::string("-");
}

std::string metric_text(double v) {
  return std::isnan(v) ? std::string("NaN") : fmt::format("{:.4f}", v);
}

void print_executions(const std::vector<ExecutionRow>& rows, ScheduleStore& store) {
  fmt::print("{:>5}  {:<20}  {:<20}  {:<24}  {:>8}  {:>8}  {:>10}  {}\n", "ID", "SCHEDULE",
             "SCHEDULED", "STATUS", "ROWS", "COVERAGE", "VIOLATIONS", "METRICS");
  std::map<std::string, std::string> problem;  // schedule -> problem type
  for (const auto& s : store.list_schedules()) problem[s.name] = s.definition.problem_type;
  for (const auto& e : rows) {
    std::string metrics;
    const auto& wanted =
        headline_metrics(problem.count(e.schedule_name) ? problem[e.schedule_name] : std::string());
    for (const auto& name : wanted)
      for (const auto& m : e.metrics)
        if (m.name == name)
          metrics += fmt::format("{}{}={}", metrics.empty() ? "" : " ", name, metric_text(m.value));
    if (e.status == "Failed" || e.status == "Stopped") metrics = e.failure_reason;
    fmt::print("{:>5}  {:<20}  {:<20}  {:<24}  {:>8}  {:>8}  {:>10}  {}\n", e.id, e.schedule_name,
               format_timestamp(e.scheduled_time), e.status, optional_text(e.item_count),
               e.label_coverage ? fmt::format("{:.1f}%", 100 * *e.label_coverage) : "-",
               optional_text(e.violation_count), metrics);
  }
}

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

}  // namespace

struct ScheduleCommands::State {
  std::string state_path, now_text, name, expression, filter_schedule, filter_status, since, metric,
      catch_up = "latest";
  int64_t execution_id = 0;
  bool json = false, csv = false, once = false, purge = false;
  unsigned max_concurrent = 1;
  JobDefinition definition;
  std::vector<Field> create_fields, update_fields;
  JobDefinition update_definition;
  CLI::App *schedule = nullptr, *create = nullptr, *update = nullptr, *list = nullptr,
           *describe = nullptr, *stop = nullptr, *start = nullptr, *remove = nullptr,
           *executions = nullptr, *executions_list = nullptr, *executions_describe = nullptr,
           *history = nullptr, *scheduler = nullptr;

  std::string state() const { return state_path.empty() ? default_state_path() : state_path; }
  int64_t now() const { return now_text.empty() ? now_millis() : parse_timestamp(now_text); }
};

ScheduleCommands::ScheduleCommands(CLI::App& app) : s_(std::make_unique<State>()) {
  State& s = *s_;
  auto state_option = [&](CLI::App* cmd) {
    cmd->add_option("--state", s.state_path,
                    "The schedule database (default: $MQMON_HOME/mqmon.db, MQMON_HOME defaulting "
                    "to ~/.mqmon)");
  };
  auto now_option = [&](CLI::App* cmd) {
    cmd->add_option("--now", s.now_text,
                    "The time to act at instead of the clock (UTC; tests and back-fills)");
  };

  s.schedule = app.add_subcommand("schedule", "Create and manage monitoring schedules");
  s.schedule->require_subcommand(1);
  s.schedule->footer(kScheduleExamples);
  s.create = s.schedule->add_subcommand("create", "Create a monitoring schedule");
  s.create->add_option("name", s.name, "Schedule name")->required();
  s.create
      ->add_option("--schedule-expression", s.expression,
                   "cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *) or NOW")
      ->required();
  s.create_fields = add_definition_options(s.create, s.definition);
  state_option(s.create);
  now_option(s.create);

  s.update = s.schedule->add_subcommand("update", "Change a schedule's expression or definition");
  s.update->add_option("name", s.name, "Schedule name")->required();
  s.update->add_option("--schedule-expression", s.expression, "A new schedule expression");
  s.update_fields = add_definition_options(s.update, s.update_definition);
  state_option(s.update);
  now_option(s.update);

  s.list = s.schedule->add_subcommand("list", "List the schedules");
  s.list->add_flag("--json", s.json, "JSON with the service's key names");
  state_option(s.list);
  now_option(s.list);
  s.describe = s.schedule->add_subcommand(
      "describe", "A schedule's definition, status, last execution and next run");
  s.describe->add_option("name", s.name, "Schedule name")->required();
  s.describe->add_flag("--json", s.json, "JSON with the service's key names");
  state_option(s.describe);
  now_option(s.describe);
  s.stop = s.schedule->add_subcommand("stop", "Stop a schedule (no executions until started)");
  s.start = s.schedule->add_subcommand("start", "Start a stopped schedule (from now on)");
  for (CLI::App* cmd : {s.stop, s.start}) {
    cmd->add_option("name", s.name, "Schedule name")->required();
    state_option(cmd);
    now_option(cmd);
  }
  s.remove = s.schedule->add_subcommand("delete", "Delete a schedule (its executions are kept)");
  s.remove->add_option("name", s.name, "Schedule name")->required();
  s.remove->add_flag("--purge", s.purge, "Also delete its executions and their local outputs");
  state_option(s.remove);

  s.executions = app.add_subcommand("executions", "The monitoring executions schedules ran");
  s.executions->require_subcommand(1);
  s.executions_list = s.executions->add_subcommand("list", "List executions, oldest first");
  s.executions_list->add_option("--schedule", s.filter_schedule, "Only this schedule's");
  s.executions_list->add_option(
      "--status", s.filter_status,
      "Only this status: Pending, InProgress, Completed, CompletedWithViolations, Failed, Stopped");
  s.executions_list->add_option("--since", s.since, "Only those scheduled at or after this time");
  s.executions_list->add_flag("--json", s.json, "JSON with the service's key names");
  state_option(s.executions_list);
  s.executions_describe = s.executions->add_subcommand("describe", "One execution in full");
  s.executions_describe->add_option("id", s.execution_id, "Execution id")->required();
  s.executions_describe->add_flag("--json", s.json, "JSON with the service's key names");
  state_option(s.executions_describe);

  s.history =
      app.add_subcommand("history", "One metric of a schedule over time, with its threshold");
  s.history->add_option("--schedule", s.filter_schedule, "Schedule name")->required();
  s.history->add_option("--metric", s.metric, "Metric name (f1, auc, mae, ...)")->required();
  s.history->add_flag("--json", s.json, "JSON");
  s.history->add_flag("--csv", s.csv, "CSV");
  state_option(s.history);

  s.scheduler = app.add_subcommand("scheduler", "Run the due executions of every schedule");
  s.scheduler->add_flag("--once", s.once, "Run what is due, then exit (for cron and CronJobs)");
  s.scheduler
      ->add_option("--max-concurrent-executions", s.max_concurrent,
                   "Executions this scheduler runs at once, each in its own process")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  s.scheduler
      ->add_option("--catch-up", s.catch_up,
                   "After downtime: latest (the most recent missed time), all, or none")
      ->capture_default_str();
  state_option(s.scheduler);
  now_option(s.scheduler);
}

ScheduleCommands::~ScheduleCommands() = default;

const char* ScheduleCommands::usage(const std::string& command_path) {
  const auto it = kUsages.find(command_path);
  return it == kUsages.end() ? nullptr : it->second;
}

std::optional<int> ScheduleCommands::run() {
  State& s = *s_;
  if (s.create->parsed()) {
    s.definition.make_paths_absolute();
    s.definition.validate_for(s.expression);
    ScheduleStore store(s.state());
    store.create_schedule(s.name, s.expression, s.definition, s.now());
    const ScheduleRow row = store.get_schedule(s.name);
    const int64_t next = next_due_time(parse_schedule_expression(row.expression), row.cursor);
    fmt::print("mqmon: schedule {} created ({}); {}\n", s.name, s.expression,
               next >= 0 ? fmt::format("first execution due at {}", format_timestamp(next))
                         : std::string("its one execution is due now"));
    return 0;
  }
  if (s.update->parsed()) {
    ScheduleStore store(s.state());
    const ScheduleRow row = store.get_schedule(s.name);
    JobDefinition d = row.definition;
    s.update_definition.make_paths_absolute();
    for (const auto& f : s.update_fields)
      if (f.option->count() > 0) f.copy(d, s.update_definition);
    const std::string expression = s.expression.empty() ? row.expression : s.expression;
    d.validate_for(expression);
    store.update_schedule(s.name, expression, d, s.now());
    fmt::print("mqmon: schedule {} updated\n", s.name);
    return 0;
  }
  if (s.list->parsed()) {
    ScheduleStore store(s.state());
    const auto rows = store.list_schedules();
    const int64_t now = s.now();  // one instant for every row
    if (s.json) {
      std::string out = "[";
      for (size_t i = 0; i < rows.size(); ++i)
        out += (i ? ",\n" : "\n") + describe_schedule_json(store, rows[i], now);
      fmt::print("{}\n]\n", out);
      return 0;
    }
    fmt::print("{:<24}  {:<22}  {:<10}  {:<20}  {}\n", "NAME", "EXPRESSION", "STATUS", "NEXT",
               "LAST EXECUTION");
    for (const auto& r : rows) {
      const int64_t next =
          r.status == "Scheduled"
              ? next_due_time(parse_schedule_expression(r.expression), std::max(now, r.cursor))
              : -1;
      const auto last = store.last_execution(r.name);
      fmt::print(
          "{:<24}  {:<22}  {:<10}  {:<20}  {}\n", r.name, r.expression, r.status,
          next >= 0 ? format_timestamp(next) : "-",
          last ? fmt::format("{} {}", format_timestamp(last->scheduled_time), last->status) : "-");
    }
    return 0;
  }
  if (s.describe->parsed()) {
    ScheduleStore store(s.state());
    const ScheduleRow row = store.get_schedule(s.name);
    if (s.json) {
      fmt::print("{}", describe_schedule_json(store, row, s.now()));
      return 0;
    }
    const JobDefinition& d = row.definition;
    const int64_t next = row.status == "Scheduled"
                             ? next_due_time(parse_schedule_expression(row.expression),
                                             std::max(s.now(), row.cursor))
                             : -1;
    fmt::print(
        "schedule        {}\nstatus          {}\nexpression      {}\nwindow          "
        "{} to {} of the scheduled time\nproblem type    {}\ncapture         {}\nground "
        "truth    {}\nconstraints     {}\noutput          {}\nendpoint        {}\nnext run "
        "       {}\n",
        row.name, row.status, row.expression,
        d.data_analysis_start_time.empty() ? d.start_time_offset : d.data_analysis_start_time,
        d.data_analysis_end_time.empty() ? d.end_time_offset : d.data_analysis_end_time,
        d.problem_type, d.capture, d.ground_truth, d.constraints, d.output, d.endpoint_name,
        next >= 0 ? format_timestamp(next) : "-");
    if (const auto last = store.last_execution(row.name))
      fmt::print("last execution  {} at {}: {}{}\n", last->id,
                 format_timestamp(last->scheduled_time), last->status,
                 last->failure_reason.empty() ? "" : ": " + last->failure_reason);
    return 0;
  }
  if (s.stop->parsed() || s.start->parsed()) {
    ScheduleStore store(s.state());
    const bool stopping = s.stop->parsed();
    store.set_status(s.name, stopping ? "Stopped" : "Scheduled", s.now());
    fmt::print("mqmon: schedule {} {}\n", s.name, stopping ? "stopped" : "started");
    return 0;
  }
  if (s.remove->parsed()) {
    ScheduleStore store(s.state());
    const auto outputs = store.delete_schedule(s.name, s.purge);
    const size_t removed = remove_local_outputs(outputs);
    fmt::print("mqmon: schedule {} deleted{}\n", s.name,
               s.purge ? fmt::format("; {} executions purged ({} local output folders removed)",
                                     outputs.size(), removed)
                       : std::string("; its executions are kept (mqmon executions list)"));
    return 0;
  }
  if (s.executions_list->parsed()) {
    ScheduleStore store(s.state());
    ExecutionFilter f;
    f.schedule = s.filter_schedule;
    f.status = s.filter_status;
    if (!s.since.empty()) f.since = parse_timestamp(s.since);
    f.with_metrics = true;
    const auto rows = store.list_executions(f);
    if (s.json)
      fmt::print("{}", executions_json(rows));
    else
      print_executions(rows, store);
    return 0;
  }
  if (s.executions_describe->parsed()) {
    ScheduleStore store(s.state());
    const ExecutionRow e = store.get_execution(s.execution_id);
    if (s.json) {
      fmt::print("{}", describe_execution_json(e));
      return 0;
    }
    fmt::print(
        "execution       {}\nschedule        {}\nscheduled time  {}\nwindow          {} to "
        "{}\nstatus          {}\n",
        e.id, e.schedule_name, format_timestamp(e.scheduled_time), format_timestamp(e.window_start),
        format_timestamp(e.window_end), e.status);
    if (!e.failure_reason.empty()) fmt::print("failure reason  {}\n", e.failure_reason);
    fmt::print("output          {}\n", e.output);
    if (e.item_count) fmt::print("rows            {}\n", *e.item_count);
    if (e.label_coverage) fmt::print("label coverage  {:.1f}%\n", 100 * *e.label_coverage);
    if (e.violation_count) fmt::print("violations      {}\n", *e.violation_count);
    for (const auto& m : e.metrics)
      fmt::print("  {:<40} {:>10}{}\n", m.name, metric_text(m.value),
                 m.threshold ? fmt::format("   {} {}", m.comparison_operator,
                                           format_plain_double(*m.threshold))
                             : "");
    return 0;
  }
  if (s.history->parsed()) {
    if (s.json && s.csv) throw ConfigError("give --json or --csv, not both");
    ScheduleStore store(s.state());
    store.get_schedule(s.filter_schedule);
    const auto points = metric_history(store, s.filter_schedule, s.metric);
    if (s.json) {
      fmt::print("{}", history_json(points));
    } else if (s.csv) {
      fmt::print("{}", history_csv(points));
    } else {
      fmt::print("{:<20}  {:<24}  {:>10}  {:>10}  {}\n", "SCHEDULED", "STATUS", s.metric,
                 "THRESHOLD", "");
      for (const auto& p : points)
        fmt::print("{:<20}  {:<24}  {:>10}  {:>10}  {}\n", format_timestamp(p.scheduled_time),
                   p.status, metric_text(p.metric.value),
                   p.metric.threshold ? metric_text(*p.metric.threshold) : "-",
                   p.violation ? "violation" : "");
    }
    return 0;
  }
  if (s.scheduler->parsed()) {
    ScheduleStore store(s.state());
    RunnerOptions o;
    o.catch_up = parse_catch_up(s.catch_up);
    o.max_concurrent = s.max_concurrent;
    o.log = [](const std::string& line) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    };
    o.prepare = [](MonitorConfig& c) {
      c.render_report =
          report::monitor_renderer(c.constraints_path, "", c.capture_prefix, kVersion);
    };
    if (s.once || !s.now_text.empty()) {
      const RoundReport r = run_due_executions(store, s.now(), o);
      fmt::print("mqmon: {} execution{} run, {} orphan{} resolved\n", r.finished.size(),
                 r.finished.size() == 1 ? "" : "s", r.orphans.size(),
                 r.orphans.size() == 1 ? "" : "s");
      return 0;
    }
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    fmt::print("mqmon: scheduler running on {} (SIGTERM or Ctrl-C stops it)\n", s.state());
    std::fflush(stdout);
    run_scheduler(store, o, g_stop);
    return 0;
  }
  return std::nullopt;
}

}  // namespace mqmon::cli
