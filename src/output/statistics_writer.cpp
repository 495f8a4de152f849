#include "mqmon/output/statistics_writer.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "mqmon/output/json_writer.h"

namespace mqmon {

std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

namespace {

void write_header(JsonWriter& w, const DatasetInfo& d) {
  w.begin_object();
  w.key("version").value(0.0);
  w.key("dataset").begin_object();
  w.key("item_count").value(d.item_count);
  w.key("evaluation_time").value(d.evaluation_time);
  if (d.skipped_item_count) w.key("skipped_item_count").value(d.skipped_item_count);
  w.end_object();
}

void write_metric(JsonWriter& w, const char* name, const MetricValue& m) {
  w.key(name).begin_object();
  w.key("value").value(m.value);
  w.key("standard_deviation").value(m.standard_deviation);
  w.end_object();
}

/// confusion_matrix[actual][predicted] over every pair of labels, zeros included.
template <typename Count>
void write_confusion(JsonWriter& w, const std::vector<std::string>& labels, Count&& count) {
  w.key("confusion_matrix").begin_object();
  for (size_t a = 0; a < labels.size(); ++a) {
    w.key(labels[a]).begin_object();
    for (size_t p = 0; p < labels.size(); ++p) w.key(labels[p]).value(uint64_t{count(a, p)});
    w.end_object();
  }
  w.end_object();
}

}  // namespace

std::string write_binary_statistics(const BinaryStatistics& s, const DatasetInfo& dataset) {
  JsonWriter w;
  write_header(w, dataset);
  w.key("binary_classification_metrics").begin_object();
  write_confusion(w, s.labels, [&](size_t a, size_t p) { return s.confusion[a][p]; });
  for (int m = 0; m < kBinaryScalarCount; ++m) {
    if (m == kAuc) {  // the curves sit between the rates and auc
      w.key("receiver_operating_characteristic_curve").begin_object();
      w.key("false_positive_rates").value(s.roc_false_positive_rates);
      w.key("true_positive_rates").value(s.roc_true_positive_rates);
      w.end_object();
      w.key("precision_recall_curve").begin_object();
      w.key("precisions").value(s.pr_precisions);
      w.key("recalls").value(s.pr_recalls);
      w.end_object();
    }
    write_metric(w, kBinaryScalarNames[m], s.metrics[m]);
  }
  w.end_object();
  w.end_object();
  return w.finish();
}

std::string write_multiclass_statistics(const MulticlassStatistics& s, const DatasetInfo& dataset) {
  JsonWriter w;
  write_header(w, dataset);
  w.key("multiclass_classification_metrics").begin_object();
  write_confusion(w, s.labels, [&](size_t a, size_t p) {
    const auto it = s.confusion.find({static_cast<uint32_t>(a), static_cast<uint32_t>(p)});
    return it == s.confusion.end() ? uint64_t{0} : it->second;
  });
  for (int m = 0; m < kMulticlassScalarCount; ++m)
    write_metric(w, kMulticlassScalarNames[m], s.metrics[m]);
  w.end_object();
  w.end_object();
  return w.finish();
}

std::string write_regression_statistics(const RegressionStatistics& s, const DatasetInfo& dataset) {
  JsonWriter w;
  write_header(w, dataset);
  w.key("regression_metrics").begin_object();
  for (int m = 0; m < kRegressionScalarCount; ++m)
    write_metric(w, kRegressionScalarNames[m], s.metrics[m]);
  w.end_object();
  w.end_object();
  return w.finish();
}

}  // namespace mqmon
