#include "mqmon/jobs/baseline.h"

#include <filesystem>
#include <type_traits>

#include "mqmon/io/atomic_output.h"
#include "mqmon/output/statistics_writer.h"

namespace mqmon {

std::string suggest_constraints(const Evaluation& ev, const SuggestOptions& suggest) {
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>)
          return write_binary_constraints(suggest_binary_constraints(s, suggest), s, suggest);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>)
          return write_multiclass_constraints(suggest_multiclass_constraints(s, suggest), s,
                                              suggest);
        else
          return write_regression_constraints(suggest_regression_constraints(s, suggest), s,
                                              suggest);
      },
      ev.statistics);
}

BaselineResult run_baseline(const BaselineConfig& config) {
  SuggestOptions suggest = config.suggest;
  suggest.seed = config.evaluation.seed;  // one seed governs every random choice of the job
  const Evaluation ev = evaluate_dataset(config.dataset, config.evaluation);
  const std::string statistics = write_statistics(
      ev, config.evaluation_time.empty() ? utc_now_iso8601() : config.evaluation_time);
  const std::string constraints = suggest_constraints(ev, suggest);

  AtomicOutputSet out(config.output_dir);
  out.add("statistics.json", statistics);
  out.add("constraints.json", constraints);
  out.commit();

  BaselineResult r;
  r.item_count = ev.item_count();
  r.skipped = ev.scanned.skipped;
  r.skipped_examples = ev.scanned.skipped_examples;
  r.statistics_path = (std::filesystem::path(config.output_dir) / "statistics.json").string();
  r.constraints_path = (std::filesystem::path(config.output_dir) / "constraints.json").string();
  return r;
}

}  // namespace mqmon
