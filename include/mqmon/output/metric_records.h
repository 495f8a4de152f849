#pragma once
/// Metric records of a monitoring execution: CloudWatch Embedded Metric Format and the
/// Prometheus text format, one metric per scalar statistics key.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mqmon/metrics/accumulator.h"

namespace mqmon {

struct MetricRecordContext {
  std::string endpoint;             ///< dimension/label `Endpoint`; empty: a batch transform job
  std::string monitoring_schedule;  ///< dimension/label `MonitoringSchedule`
  int64_t timestamp = 0;            ///< milliseconds since the epoch
};

constexpr const char* kMetricNamespace = "aws/sagemaker/Endpoints/model-metrics";
/// The namespace of batch transform jobs' metrics (no Endpoint dimension).
constexpr const char* kBatchMetricNamespace = "aws/sagemaker/ModelMonitoring/model-metrics";

/// One EMF document (a JSON line): `_aws.CloudWatchMetrics` with the namespace, the dimension set
/// [Endpoint, MonitoringSchedule] (batch: [MonitoringSchedule]) and one metric per finite value;
/// values at the top level.
std::string write_emf(const std::vector<std::pair<std::string, MetricValue>>& metrics,
                      const MetricRecordContext& context);

/// The records a SageMaker Processing container leaves in /opt/ml/output/metrics/cloudwatch for
/// the service to publish: one JSON object per line, shaped like CloudWatch's PutMetricData
/// (MetricName, Timestamp, Dimensions, Value), one per finite value.
std::string write_cloudwatch_records(
    const std::vector<std::pair<std::string, MetricValue>>& metrics,
    const MetricRecordContext& context);

/// The prefix of every Prometheus metric name (mqmon_accuracy).
inline constexpr const char* kPrometheusPrefix = "mqmon_";

/// Prometheus text exposition format: a gauge per metric named kPrometheusPrefix + the statistics
/// key, with the labels Endpoint and MonitoringSchedule (undefined values as NaN).
std::string write_prometheus(const std::vector<std::pair<std::string, MetricValue>>& metrics,
                             const MetricRecordContext& context);

}  // namespace mqmon
