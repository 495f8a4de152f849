#pragma once
/// Reports from files: the renderers fed with the files a job wrote (local or s3://), a schedule's
/// executions, or a folder of execution outputs; the renderers the jobs take. Used by the command
/// line and the Python module.

#include <functional>
#include <string>
#include <vector>

#include "mqmon/report/report.h"

namespace mqmon::report {

/// The renderer the baseline job takes: `dataset` and `version` go in the summary.
std::function<std::string(const std::string&, const std::string&)> baseline_renderer(
    const std::string& dataset, const std::string& version);

/// The renderer a monitoring execution takes. `constraints` and `baseline_statistics` are paths
/// (either may be empty): the constraints file's method block and the baseline's values. The
/// baseline is read (and checked) here, before the execution: IoError or ConfigError.
std::function<std::string(const std::string&, const std::string&, const std::string&)>
monitor_renderer(const std::string& constraints, const std::string& baseline_statistics,
                 const std::string& dataset, const std::string& version);

/// Paths (empty when absent) of the files a job report is made from.
struct ReportPaths {
  std::string statistics, constraints, violations, execution, baseline_statistics;
};
std::string job_report(const ReportPaths& paths, const std::string& version);

/// A schedule's executions, oldest first, from the store at `state`.
std::vector<report::HistoryEntry> schedule_history(const std::string& state,
                                                   const std::string& schedule);
/// Every execution below `folder` (a folder holding execution.json), ordered by window end.
std::vector<report::HistoryEntry> folder_history(const std::string& folder);

}  // namespace mqmon::report
