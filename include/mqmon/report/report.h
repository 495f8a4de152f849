#pragma once
/// HTML reports: one self-contained file per job (inline SVG and CSS, no script, no network; light
/// and dark, printable), and a history view of a schedule's executions. Rendered from the JSON
/// files a job writes (or the service wrote), so a report shows exactly what the files say.

#include <string>
#include <vector>

namespace mqmon::report {

/// The files of one job, as text; empty when absent.
struct JobFiles {
  std::string statistics;           ///< statistics.json (required)
  std::string constraints;          ///< constraints.json: thresholds (and mqmon's method block)
  std::string violations;           ///< constraint_violations.json: makes it an execution page
  std::string execution;            ///< mqmon's execution.json: status, window, merge counts
  std::string baseline_statistics;  ///< an execution's baseline, shown beside the window
  std::string dataset;              ///< what the statistics describe, for the summary
  std::string version;              ///< the mqmon that renders
};

/// The baseline page, or the execution page when there are violations or an execution record
/// (a failed execution: its banner and reason, without statistics). The thresholds of an
/// execution are those its execution.json says were applied, else the constraints file's.
/// Throws ConfigError when a text is not the file it should be.
std::string render_job(const JobFiles& files);

/// Throws ConfigError when `text` is not a model-quality statistics.json.
void check_statistics(const std::string& text);

/// One execution of a history, oldest first.
struct HistoryEntry {
  std::string time;    ///< the scheduled time or window end (ISO-8601 UTC): the x axis
  std::string status;  ///< Completed, CompletedWithViolations or Failed
  std::string failure_reason;
  /// Texts; empty when absent (a failed execution has no statistics). The thresholds are
  /// execution.json's (those applied), else the constraints file's.
  std::string statistics, constraints, violations, execution;
};

/// An execution from its files: status, failure reason and time (the window's end, else the
/// evaluation time) from execution.json. Throws ConfigError when it is not one.
HistoryEntry history_entry(std::string statistics, std::string violations, std::string execution);

/// Each constrained metric over time with its threshold; violations marked, failed executions
/// as gaps.
std::string render_history(const std::string& title, const std::vector<HistoryEntry>& entries,
                           const std::string& version);

}  // namespace mqmon::report
