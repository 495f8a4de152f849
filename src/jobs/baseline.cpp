#include "mqmon/jobs/baseline.h"

#include <filesystem>

#include "mqmon/common/time.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/output/statistics_writer.h"
#include "mqmon/script/pool.h"

namespace mqmon {

BaselineResult run_baseline(const BaselineConfig& config) {
  SuggestOptions suggest = config.suggest;
  suggest.seed = config.evaluation.seed;   // one seed governs every random choice of the job
  AtomicOutputSet out(config.output_dir);  // an unusable output fails before the work
  const Evaluation ev =
      config.evaluate ? config.evaluate() : evaluate_dataset(config.dataset, config.evaluation);
  log_phase("statistics computed");
  const std::string statistics = write_statistics(
      ev, config.evaluation_time.empty() ? utc_now_iso8601() : config.evaluation_time);
  const std::string constraints =
      write_constraints(ev.statistics, suggest_constraints(ev.statistics, suggest), suggest);
  log_phase("constraints suggested");

  out.add("statistics.json", statistics);
  out.add("constraints.json", constraints);
  if (config.render_report) {
    out.add("report.html", config.render_report(statistics, constraints));
    log_phase("report drawn");
  }
  out.commit();
  log_phase("outputs written");
  if (!config.post_analytics_processor_script.empty())
    run_postprocess_script(config.post_analytics_processor_script,
                           {{"output_path", config.output_dir},
                            {"dataset_source", config.dataset},
                            {"problem_type", problem_type_name(config.evaluation.problem_type)},
                            {"analysis_type", "MODEL_QUALITY"}});

  BaselineResult r;
  r.item_count = ev.item_count();
  r.skipped = ev.scanned.skipped;
  r.dropped = ev.scanned.dropped;
  r.skipped_examples = ev.scanned.skipped_examples;
  r.statistics_path = (std::filesystem::path(config.output_dir) / "statistics.json").string();
  r.constraints_path = (std::filesystem::path(config.output_dir) / "constraints.json").string();
  return r;
}

}  // namespace mqmon
