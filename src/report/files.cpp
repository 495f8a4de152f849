#include "mqmon/report/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/io/byte_source.h"
#include "mqmon/schedule/store.h"

namespace mqmon::report {

namespace fs = std::filesystem;

namespace {

std::string read_if(const std::string& path) {
  return path.empty() ? std::string() : read_whole(path);
}

/// A file of an execution's folder, or "" when it is not there.
/// A file of an execution's folder (local or s3://), or "" when it is not there (a failed
/// execution has no statistics).
std::string read_optional(const std::string& folder, const char* name) {
  const std::string path =
      folder.empty() || folder.back() == '/' ? folder + name : folder + "/" + name;
  return file_exists(path) ? read_whole(path) : "";
}

}  // namespace

std::function<std::string(const std::string&, const std::string&)> baseline_renderer(
    const std::string& dataset, const std::string& version) {
  return [dataset, version](const std::string& statistics, const std::string& constraints) {
    report::JobFiles f;
    f.statistics = statistics;
    f.constraints = constraints;
    f.dataset = dataset;
    f.version = version;
    return report::render_job(f);
  };
}

std::function<std::string(const std::string&, const std::string&, const std::string&)>
monitor_renderer(const std::string& constraints, const std::string& baseline_statistics,
                 const std::string& dataset, const std::string& version) {
  // The baseline is read now: a missing or wrong file is named before the execution runs.
  const std::string baseline = read_if(baseline_statistics);
  if (!baseline.empty()) {
    try {
      check_statistics(baseline);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("--baseline-statistics {}: {}", baseline_statistics, e.what()));
    }
  }
  return [=](const std::string& statistics, const std::string& violations,
             const std::string& execution) {
    report::JobFiles f;
    f.statistics = statistics;
    f.violations = violations;
    f.execution = execution;
    // The method block of the constraints, when they can be read (a failed execution may have
    // failed on exactly that file).
    try {
      f.constraints = read_if(constraints);
    } catch (const Error&) {
    }
    f.baseline_statistics = baseline;
    f.dataset = dataset;
    f.version = version;
    try {
      return report::render_job(f);
    } catch (const ConfigError&) {
      if (f.constraints.empty()) throw;
      // A constraints file the execution could not use (it failed on it): the page without it.
      f.constraints.clear();
      return report::render_job(f);
    }
  };
}

std::string job_report(const ReportPaths& p, const std::string& version) {
  report::JobFiles f;
  f.statistics = read_if(p.statistics);
  f.constraints = read_if(p.constraints);
  f.violations = read_if(p.violations);
  f.execution = read_if(p.execution);
  f.baseline_statistics = read_if(p.baseline_statistics);
  f.version = version;
  return report::render_job(f);
}

std::vector<report::HistoryEntry> schedule_history(const std::string& state,
                                                   const std::string& schedule) {
  ScheduleStore store(state);
  const ScheduleRow row = store.get_schedule(schedule);  // names the known ones when absent
  ExecutionFilter filter;
  filter.schedule = row.name;
  auto executions = store.list_executions(filter);
  std::sort(executions.begin(), executions.end(),
            [](const auto& a, const auto& b) { return a.scheduled_time < b.scheduled_time; });
  std::vector<report::HistoryEntry> out;
  for (const auto& e : executions) {
    if (e.status != "Completed" && e.status != "CompletedWithViolations" && e.status != "Failed")
      continue;  // pending, running or stopped: nothing to show yet
    report::HistoryEntry h;
    h.time = format_timestamp(e.scheduled_time);
    h.status = e.status;
    h.failure_reason = e.failure_reason;
    if (!e.output.empty()) {
      h.statistics = read_optional(e.output, "statistics.json");
      h.violations = read_optional(e.output, "constraint_violations.json");
      h.execution = read_optional(e.output, "execution.json");
    }
    out.push_back(std::move(h));
  }
  if (out.empty())
    throw NoDataError(fmt::format("schedule '{}' has no finished executions yet", schedule));
  return out;
}

std::vector<report::HistoryEntry> folder_history(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw IoError(fmt::format("'{}' is not a folder of execution outputs", folder));
  std::vector<std::pair<std::string, report::HistoryEntry>> found;
  for (const auto& entry : fs::recursive_directory_iterator(folder, ec)) {
    if (!entry.is_regular_file() || entry.path().filename() != "execution.json") continue;
    const std::string dir = entry.path().parent_path().string();
    report::HistoryEntry h = report::history_entry(read_optional(dir, "statistics.json"),
                                                   read_optional(dir, "constraint_violations.json"),
                                                   read_whole(entry.path().string()));
    std::string key = h.time + "\n" + dir;  // by time, then folder
    found.emplace_back(std::move(key), std::move(h));
  }
  if (found.empty())
    throw NoDataError(
        fmt::format("no execution.json below '{}': not a folder of execution outputs", folder));
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<report::HistoryEntry> out;
  for (auto& [key, h] : found) out.push_back(std::move(h));
  return out;
}

}  // namespace mqmon::report
