#include "mqmon/output/metric_records.h"

#include <fmt/format.h>

#include <cmath>

#include "mqmon/common/numbers.h"
#include "mqmon/common/time.h"
#include "mqmon/output/json_writer.h"

namespace mqmon {

namespace {

std::string label_value(const std::string& s) {  // Prometheus label escaping
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}
}  // namespace

std::string write_emf(const std::vector<std::pair<std::string, MetricValue>>& metrics,
                      const MetricRecordContext& ctx) {
  std::string names, values;
  for (const auto& [name, m] : metrics) {
    if (!std::isfinite(m.value)) continue;  // EMF values must be numbers
    names += fmt::format("{}{{\"Name\":{},\"Unit\":\"None\"}}", names.empty() ? "" : ",",
                         json_quote(name));
    values += fmt::format(",{}:{}", json_quote(name), format_plain_double(m.value));
  }
  const bool batch = ctx.endpoint.empty();
  return fmt::format(
      "{{\"_aws\":{{\"Timestamp\":{},\"CloudWatchMetrics\":[{{\"Namespace\":{},\"Dimensions\":[[{}"
      "\"MonitoringSchedule\"]],\"Metrics\":[{}]}}]}},{}\"MonitoringSchedule\":{}{}}}\n",
      ctx.timestamp, json_quote(batch ? kBatchMetricNamespace : kMetricNamespace),
      batch ? "" : "\"Endpoint\",", names,
      batch ? std::string() : fmt::format("\"Endpoint\":{},", json_quote(ctx.endpoint)),
      json_quote(ctx.monitoring_schedule), values);
}

std::string write_cloudwatch_records(
    const std::vector<std::pair<std::string, MetricValue>>& metrics,
    const MetricRecordContext& ctx) {
  std::string dimensions = "[";
  if (!ctx.endpoint.empty())
    dimensions += fmt::format("{{\"Name\":\"Endpoint\",\"Value\":{}}},", json_quote(ctx.endpoint));
  dimensions += fmt::format("{{\"Name\":\"MonitoringSchedule\",\"Value\":{}}}]",
                            json_quote(ctx.monitoring_schedule));
  const std::string timestamp = json_quote(format_timestamp(ctx.timestamp));
  std::string out;
  for (const auto& [name, m] : metrics) {
    if (!std::isfinite(m.value)) continue;  // CloudWatch takes numbers only
    out += fmt::format("{{\"MetricName\":{},\"Timestamp\":{},\"Dimensions\":{},\"Value\":{}}}\n",
                       json_quote(name), timestamp, dimensions, format_plain_double(m.value));
  }
  return out;
}

std::string write_prometheus(const std::vector<std::pair<std::string, MetricValue>>& metrics,
                             const MetricRecordContext& ctx) {
  std::string out;
  const std::string labels =
      fmt::format("{{{}MonitoringSchedule=\"{}\"}}",
                  ctx.endpoint.empty() ? std::string()
                                       : fmt::format("Endpoint=\"{}\",", label_value(ctx.endpoint)),
                  label_value(ctx.monitoring_schedule));
  for (const auto& [key, m] : metrics) {
    // Prometheus's naming conventions: one application prefix on every metric name.
    const std::string name = kPrometheusPrefix + key;
    out += fmt::format("# HELP {} Model quality metric {} of the latest monitoring execution.\n",
                       name, key);
    out += fmt::format("# TYPE {} gauge\n", name);
    // No sample timestamp: node_exporter's textfile collector refuses them.
    out += fmt::format("{}{} {}\n", name, labels,
                       std::isnan(m.value) ? "NaN" : format_plain_double(m.value));
  }
  return out;
}

}  // namespace mqmon
